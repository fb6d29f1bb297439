import { createTestApp, TestApp } from './support/app';
import { registerUser } from './support/factories';

/**
 * Each app verifies bearer tokens with its own strategy and secret. With passport's
 * process-wide registry the app booted last verified tokens for every app in the process,
 * so two apps with different secrets could not both accept their own tokens.
 */
describe('bearer tokens, two apps in one process', () => {
  let first: TestApp;
  let second: TestApp;

  beforeAll(async () => {
    first = await createTestApp();
    second = await createTestApp({ JWT_SECRET: 'a-different-secret-that-is-also-long-enough-0123456789' });
  });
  afterAll(async () => {
    await second.close();
    await first.close();
  });

  it('should accept each app’s own tokens and refuse the other app’s, while both are open', async () => {
    const ana = await registerUser(first);
    const bob = await registerUser(second);

    await first.http.get('/auth/me').set(ana.auth).expect(200);
    await second.http.get('/auth/me').set(bob.auth).expect(200);
    // Same database, so the sessions exist for both apps: only the signature tells them apart.
    await second.http.get('/auth/me').set(ana.auth).expect(401);
    await first.http.get('/auth/me').set(bob.auth).expect(401);
  });
});

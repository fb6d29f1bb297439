import { createHash, randomUUID } from 'node:crypto';
import { PasswordResetService } from '../src/auth/password-reset.service';
import { useTestApp } from './support/app';
import { expectInvalidExactly } from './support/expect';
import { expectErrorBody, registerUser } from './support/factories';
import { resetCodeIn, TestSmtpServer } from './support/smtp';

const REQUESTED = { message: 'If that account exists, a code has been sent.' };
const NEW_PASSWORD = 'a brand new passphrase';

/** A code that is certainly not `code`. */
function otherThan(code: string): string {
  return String((Number(code) + 1) % 1_000_000).padStart(6, '0');
}

/*
 * The app keeps the default session-liveness cache (2 s): the tests warm it before a reset,
 * so "every session ends at once" is proven on the instance that did the reset.
 */
describe('password reset', () => {
  const smtp = new TestSmtpServer();
  const t = useTestApp(async () => ({ SMTP_URL: await smtp.start() }));
  afterAll(() => smtp.stop());
  beforeEach(() => {
    smtp.messages.length = 0;
  });
  // The code and the mail are made after the 202: let no task run into the next test's reset.
  afterEach(() => settleMail());

  /** Waits until every reset request already answered has finished its lookup and mail. */
  const settleMail = () => t.app.get(PasswordResetService).beforeApplicationShutdown();

  const request = (email: string) => t.http.post('/auth/password-reset/request').send({ email });
  const confirm = (body: Record<string, unknown>) => t.http.post('/auth/password-reset/confirm').send(body);
  const login = (email: string, password: string) => t.http.post('/auth/login').send({ email, password });
  const me = (token: string) => t.http.get('/auth/me').set('Authorization', `Bearer ${token}`);

  /** Requests a reset and returns the code from the mail it produced. */
  async function codeFor(email: string): Promise<string> {
    const before = smtp.countTo(email);
    await request(email).expect(202);
    return resetCodeIn(await smtp.waitFor(email, before));
  }

  describe('POST /auth/password-reset/request', () => {
    it('should answer the identical 202 body for a known and an unknown email', async () => {
      const u = await registerUser(t);
      const known = await request(u.email);
      const unknown = await request(`nobody-${randomUUID()}@example.com`);
      expect(known.status).toBe(202);
      expect(unknown.status).toBe(202);
      expect(known.body).toEqual(REQUESTED);
      expect(unknown.body).toEqual(REQUESTED);
      expect(unknown.text).toBe(known.text);
    });

    it('should mail a 6-digit code to a known account, addressed to the normalised email', async () => {
      const u = await registerUser(t, { name: 'Ana' });
      await request(`  ${u.email.toUpperCase()} `).expect(202);
      const mail = await smtp.waitFor(u.email);
      expect(mail.to).toEqual([u.email]);
      expect(mail.raw).toContain('Subject: Your CartSync password reset code');
      expect(resetCodeIn(mail)).toMatch(/^\d{6}$/);
      expect(smtp.messages).toHaveLength(1);
    });

    it('should send no mail for an unknown email', async () => {
      const nobody = `nobody-${randomUUID()}@example.com`;
      await request(nobody).expect(202);
      await settleMail();
      expect(smtp.countTo(nobody)).toBe(0);
      expect(smtp.messages).toHaveLength(0);
      const rows: unknown[] = await t.dataSource.query('SELECT 1 FROM password_reset_codes');
      expect(rows).toHaveLength(0);
    });

    it('should store only a keyed hash of the code, valid for 10 minutes', async () => {
      const u = await registerUser(t);
      const code = await codeFor(u.email);
      const rows: { email: string; code_hash: string; attempts: number; minutes: number }[] = await t.dataSource.query(
        `SELECT email, code_hash, attempts, extract(epoch FROM expires_at - now()) / 60 AS minutes FROM password_reset_codes`,
      );
      expect(rows).toHaveLength(1);
      const [row] = rows;
      expect(row).toMatchObject({ email: u.email, attempts: 0 });
      expect(row.code_hash).not.toContain(code);
      const unkeyed = [code, `${u.email}\n${code}`].flatMap((input) =>
        (['hex', 'base64', 'base64url'] as const).map((encoding) =>
          createHash('sha256').update(input).digest(encoding),
        ),
      );
      expect(unkeyed).not.toContain(row.code_hash);
      expect(Number(row.minutes)).toBeGreaterThan(9.5);
      expect(Number(row.minutes)).toBeLessThanOrEqual(10);
    });

    it('should keep answering 202 but mail no more than 5 codes an hour to one address', async () => {
      const u = await registerUser(t);
      for (let i = 0; i < 6; i++) {
        const res = await request(u.email);
        expect(res.status).toBe(202);
        expect(res.body).toEqual(REQUESTED);
      }
      await settleMail();
      expect(smtp.countTo(u.email)).toBe(5);
    });

    it.each<[string, Record<string, unknown>, string]>([
      ['a missing email', {}, 'email'],
      ['an email that is not an address', { email: 'nobody' }, 'email'],
      ['an email that is not a string', { email: 7 }, 'email'],
      ['an unknown property', { email: 'ana@example.com', name: 'Ana' }, 'name'],
    ])('should answer 400 naming the field for %s', async (_case, body, field) => {
      const res = await t.http.post('/auth/password-reset/request').send(body);
      expectInvalidExactly(res, [field]);
    });
  });

  describe('POST /auth/password-reset/confirm', () => {
    it('should set the new password with the code in `token` and end every earlier session at once', async () => {
      const u = await registerUser(t);
      const other = await login(u.email, u.password).expect(200);
      await me(u.token).expect(200);
      await me(other.body.token).expect(200);
      const code = await codeFor(u.email);

      const res = await confirm({ email: u.email, token: code, newPassword: NEW_PASSWORD });
      expect(res.status).toBe(204);
      expect(res.text).toBe('');

      for (const token of [u.token, other.body.token as string]) {
        const after = await me(token);
        expect(after.status).toBe(401);
        expectErrorBody(after.body, 401);
      }
      await t.http.post('/auth/refresh').send({ refreshToken: other.body.refreshToken }).expect(401);
      await login(u.email, u.password).expect(401);
      const fresh = await login(u.email, NEW_PASSWORD).expect(200);
      await me(fresh.body.token).expect(200);
    });

    it('should accept the code in `code`, an alias of `token`', async () => {
      const u = await registerUser(t);
      const code = await codeFor(u.email);
      await confirm({ email: u.email, code, newPassword: NEW_PASSWORD }).expect(204);
      await login(u.email, NEW_PASSWORD).expect(200);
      await login(u.email, u.password).expect(401);
      await me(u.token).expect(401);
    });

    it('should accept the email in another case and with surrounding spaces', async () => {
      const u = await registerUser(t);
      const code = await codeFor(u.email);
      await confirm({ email: ` ${u.email.toUpperCase()} `, token: ` ${code} `, newPassword: NEW_PASSWORD }).expect(204);
      await login(u.email, NEW_PASSWORD).expect(200);
    });

    it('should accept a code only once', async () => {
      const u = await registerUser(t);
      const code = await codeFor(u.email);
      await confirm({ email: u.email, token: code, newPassword: NEW_PASSWORD }).expect(204);
      const again = await confirm({ email: u.email, token: code, newPassword: 'yet another passphrase' });
      expect(again.status).toBe(400);
      expectErrorBody(again.body, 400);
      await login(u.email, 'yet another passphrase').expect(401);
      await login(u.email, NEW_PASSWORD).expect(200);
    });

    it('should burn the code after 5 wrong tries, so the right one then fails', async () => {
      const u = await registerUser(t);
      const code = await codeFor(u.email);
      for (let i = 0; i < 5; i++) {
        const wrong = await confirm({ email: u.email, token: otherThan(code), newPassword: NEW_PASSWORD });
        expect(wrong.status).toBe(400);
        expectErrorBody(wrong.body, 400);
      }
      const right = await confirm({ email: u.email, token: code, newPassword: NEW_PASSWORD });
      expect(right.status).toBe(400);
      expectErrorBody(right.body, 400);
      await login(u.email, NEW_PASSWORD).expect(401);
      await login(u.email, u.password).expect(200);
      await me(u.token).expect(200);
    });

    it('should still accept the right code after 4 wrong tries', async () => {
      const u = await registerUser(t);
      const code = await codeFor(u.email);
      for (let i = 0; i < 4; i++) {
        await confirm({ email: u.email, token: otherThan(code), newPassword: NEW_PASSWORD }).expect(400);
      }
      await confirm({ email: u.email, token: code, newPassword: NEW_PASSWORD }).expect(204);
      await login(u.email, NEW_PASSWORD).expect(200);
    });

    it('should reject an expired code', async () => {
      const u = await registerUser(t);
      const code = await codeFor(u.email);
      await t.dataSource.query(
        `UPDATE password_reset_codes SET expires_at = now() - interval '1 second' WHERE email = $1`,
        [u.email],
      );
      const res = await confirm({ email: u.email, token: code, newPassword: NEW_PASSWORD });
      expect(res.status).toBe(400);
      expectErrorBody(res.body, 400);
      await login(u.email, NEW_PASSWORD).expect(401);
      await login(u.email, u.password).expect(200);
    });

    it("should reject a code sent with another account's email", async () => {
      const a = await registerUser(t);
      const b = await registerUser(t);
      const codeA = await codeFor(a.email);
      await confirm({ email: b.email, token: codeA, newPassword: NEW_PASSWORD }).expect(400);
      await login(b.email, NEW_PASSWORD).expect(401);
      await login(a.email, NEW_PASSWORD).expect(401);
      // The code still belongs to its own email.
      await confirm({ email: a.email, token: codeA, newPassword: NEW_PASSWORD }).expect(204);
    });

    it('should answer the same 400 for a wrong, an expired, a used and an unrequested code', async () => {
      const u = await registerUser(t);
      const code = await codeFor(u.email);
      const wrong = await confirm({ email: u.email, token: otherThan(code), newPassword: NEW_PASSWORD });
      await confirm({ email: u.email, token: code, newPassword: NEW_PASSWORD }).expect(204);
      const used = await confirm({ email: u.email, token: code, newPassword: NEW_PASSWORD });
      const expiredCode = await codeFor(u.email);
      await t.dataSource.query(`UPDATE password_reset_codes SET expires_at = now() - interval '1 second'`);
      const expired = await confirm({ email: u.email, token: expiredCode, newPassword: NEW_PASSWORD });
      const unrequested = await confirm({
        email: `nobody-${randomUUID()}@example.com`,
        token: code,
        newPassword: NEW_PASSWORD,
      });
      const bodies = [wrong, used, expired, unrequested].map((res) => {
        expect(res.status).toBe(400);
        expectErrorBody(res.body, 400);
        const { requestId: _requestId, ...rest } = res.body as Record<string, unknown>;
        return rest;
      });
      expect(bodies[0]).not.toHaveProperty('details');
      for (const body of bodies.slice(1)) expect(body).toEqual(bodies[0]);
    });

    it.each<[string, Record<string, unknown>, string[]]>([
      ['a missing email', { email: undefined }, ['email']],
      ['an email that is not an address', { email: 'nobody' }, ['email']],
      ['a token of 5 digits', { token: '12345' }, ['token']],
      ['a token of 7 digits', { token: '1234567' }, ['token']],
      ['a token with letters', { token: '12a456' }, ['token']],
      ['a token that is a number', { token: 123456 }, ['token']],
      ['a code with letters', { token: undefined, code: 'abcdef' }, ['code']],
      ['neither token nor code', { token: undefined }, ['token', 'code']],
      ['a malformed token next to a valid code', { token: 'abc', code: '123456' }, ['token']],
      ['a malformed code next to the right token', { code: '12' }, ['code']],
      ['a missing newPassword', { newPassword: undefined }, ['newPassword']],
      ['a newPassword of 7 characters', { newPassword: 'x'.repeat(7) }, ['newPassword']],
      ['a newPassword of 129 characters', { newPassword: 'x'.repeat(129) }, ['newPassword']],
      ['an unknown property', { password: 'old password' }, ['password']],
    ])('should answer 400 naming the field for %s, without spending a try', async (_case, change, fields) => {
      const u = await registerUser(t);
      const code = await codeFor(u.email);
      const res = await confirm({ email: u.email, token: code, newPassword: NEW_PASSWORD, ...change });
      expectInvalidExactly(res, fields);
      const rows: { attempts: number }[] = await t.dataSource.query('SELECT attempts FROM password_reset_codes');
      expect(rows).toEqual([{ attempts: 0 }]);
      await login(u.email, u.password).expect(200);
    });
  });
});

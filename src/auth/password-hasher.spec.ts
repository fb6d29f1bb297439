import { ApiError } from '../common/http/error-body';
import { authConfig } from '../config/auth.config';
import { HASHER_BUSY, PasswordHasher } from './password-hasher';

describe('PasswordHasher', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('should default to argon2id with the OWASP parameters m=19 MiB, t=2, p=1', async () => {
    delete process.env.ARGON2_MEMORY_KIB;
    delete process.env.ARGON2_TIME_COST;
    delete process.env.ARGON2_PARALLELISM;
    const hasher = new PasswordHasher(authConfig());
    const hash = await hasher.hash('correct horse battery');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    await expect(hasher.verify(hash, 'correct horse battery')).resolves.toBe(true);
    await expect(hasher.verify(hash, 'wrong horse battery')).resolves.toBe(false);
  });

  it('should take its parameters from the environment', async () => {
    process.env.ARGON2_MEMORY_KIB = '8192';
    process.env.ARGON2_TIME_COST = '3';
    const hash = await new PasswordHasher(authConfig()).hash('x'.repeat(8));
    expect(hash).toMatch(/m=8192,p=1,t=3\$/);
  });

  it('should spend a verification on a dummy hash for unknown accounts and say no', async () => {
    const hasher = new PasswordHasher(authConfig());
    await hasher.onModuleInit();
    const verify = jest.spyOn(hasher, 'verify');
    await expect(hasher.verifyNothing('whatever')).resolves.toBe(false);
    expect(verify).toHaveBeenCalledWith(expect.stringMatching(/^\$argon2id\$/), 'whatever');
  });

  it('should treat a malformed stored hash as a wrong password, not an error', async () => {
    await expect(new PasswordHasher(authConfig()).verify('not-a-hash', 'x')).resolves.toBe(false);
  });

  it('should default to 2 hashes at once and 16 waiting', () => {
    delete process.env.ARGON2_MAX_CONCURRENT;
    delete process.env.ARGON2_MAX_QUEUE;
    expect(authConfig().argon2Capacity).toEqual({ concurrent: 2, queue: 16 });
  });

  it('should refuse at once with 503 and Retry-After the hash beyond ARGON2_MAX_CONCURRENT + ARGON2_MAX_QUEUE', async () => {
    process.env.ARGON2_MAX_CONCURRENT = '1';
    process.env.ARGON2_MAX_QUEUE = '1';
    const hasher = new PasswordHasher(authConfig());
    const stored = await hasher.hash('x'.repeat(8));
    const running = hasher.hash('correct horse battery');
    const queued = hasher.verify(stored, 'x'.repeat(8));

    const refused = hasher.verifyNothing('whatever');
    await expect(refused).rejects.toBeInstanceOf(ApiError);
    await expect(refused).rejects.toMatchObject({ statusCode: 503, message: HASHER_BUSY, retryAfterSec: 1 });
    await expect(running).resolves.toMatch(/^\$argon2id\$/);
    await expect(queued).resolves.toBe(true);
    await expect(hasher.verifyNothing('whatever')).resolves.toBe(false);
  });
});

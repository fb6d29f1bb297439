import * as bcrypt from 'bcrypt';
import { ApiError } from '../common/http/error-body';
import { authConfig } from '../config/auth.config';
import { HASHER_BUSY, hashKind, PasswordHasher } from './password-hasher';

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

  describe('bcrypt hashes of accounts imported from the old server', () => {
    const PASSWORD = 'correct horse battery';
    let hash2b: string;
    beforeAll(async () => {
      hash2b = await bcrypt.hash(PASSWORD, 10); // Go's bcrypt.DefaultCost
    });

    it('should verify a $2b$ / $2a$ / $2y$ hash at cost 10 and refuse a wrong password', async () => {
      const hasher = new PasswordHasher(authConfig());
      for (const prefix of ['$2b$', '$2a$', '$2y$']) {
        const hash = `${prefix}${hash2b.slice(4)}`;
        expect(hashKind(hash)).toBe('bcrypt');
        await expect(hasher.verify(hash, PASSWORD)).resolves.toBe(true);
        await expect(hasher.verify(hash, 'wrong horse battery')).resolves.toBe(false);
      }
    });

    it('should ask for a rehash of bcrypt and older argon2 hashes, not of argon2id ones', async () => {
      const hasher = new PasswordHasher(authConfig());
      expect(hasher.needsRehash(hash2b)).toBe(true);
      expect(hasher.needsRehash(await hasher.hash(PASSWORD))).toBe(false);
      expect(hasher.needsRehash('$argon2i$v=19$m=4096,t=3,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo')).toBe(true);
    });

    it('should refuse a password beyond bcrypt’s 72 bytes even when its first 72 bytes match', async () => {
      const long = 'x'.repeat(72);
      const hash = await bcrypt.hash(long, 4);
      const hasher = new PasswordHasher(authConfig());
      await expect(hasher.verify(hash, long)).resolves.toBe(true);
      await expect(hasher.verify(hash, `${long}tail`)).resolves.toBe(false);
    });

    it('should treat garbage, truncated bcrypt and absurd costs as a wrong password at one argon2 cost', async () => {
      const hasher = new PasswordHasher(authConfig());
      await hasher.onModuleInit();
      for (const stored of [
        'garbage',
        '',
        hash2b.slice(0, 40),
        `$2b$31$${hash2b.slice(7)}`,
        `$2x$${hash2b.slice(4)}`,
      ]) {
        expect(hashKind(stored)).toBe(stored.startsWith('$2b$31$') ? 'bcrypt' : 'unknown');
        await expect(hasher.verify(stored, PASSWORD)).resolves.toBe(false);
      }
      // Cost 31 reaching bcrypt would hold a thread for days: this test finishing shows it never did.
    });

    it('should count bcrypt checks against the same cap as argon2', async () => {
      process.env.ARGON2_MAX_CONCURRENT = '1';
      process.env.ARGON2_MAX_QUEUE = '0';
      const hasher = new PasswordHasher(authConfig());
      const running = hasher.verify(hash2b, PASSWORD);
      await expect(hasher.hash('x'.repeat(8))).rejects.toMatchObject({ statusCode: 503, message: HASHER_BUSY });
      await expect(running).resolves.toBe(true);
      const argon = hasher.hash('x'.repeat(8));
      await expect(hasher.verify(hash2b, PASSWORD)).rejects.toMatchObject({ statusCode: 503 });
      await expect(argon).resolves.toMatch(/^\$argon2id\$/);
    });
  });
});

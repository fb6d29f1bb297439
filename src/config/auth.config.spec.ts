import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authConfig } from './auth.config';

describe('authConfig', () => {
  const saved = { ...process.env };
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'cartsync-auth-config-'));
    process.env.DATA_DIR = dataDir;
    delete process.env.JWT_SECRET;
  });
  afterEach(() => {
    process.env = { ...saved };
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('should generate a missing JWT secret once, keep it in the data dir and reuse it', () => {
    const first = authConfig().jwtSecret;
    expect(Buffer.from(first, 'base64url').length).toBeGreaterThanOrEqual(32);
    const file = join(dataDir, 'jwt-secret');
    expect(readFileSync(file, 'utf8')).toBe(first);
    expect(statSync(file).mode & 0o077).toBe(0);
    expect(authConfig().jwtSecret).toBe(first);
  });

  it('should use JWT_SECRET when set and write nothing', () => {
    process.env.JWT_SECRET = 'x'.repeat(40);
    expect(authConfig().jwtSecret).toBe('x'.repeat(40));
    expect(() => readFileSync(join(dataDir, 'jwt-secret'))).toThrow();
  });

  it('should default to 30-day tokens', () => {
    delete process.env.JWT_TTL;
    expect(authConfig().accessTtlMs).toBe(30 * 86_400_000);
  });
});

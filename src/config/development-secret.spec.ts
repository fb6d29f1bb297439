import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authConfig } from './auth.config';
import { ensureDevelopmentSecret } from './development-secret';
import { CONFIG_NAMESPACES } from './validate-env';

describe('development JWT secret', () => {
  let root: string;
  let dataDir: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'cartsync-dev-secret-'));
    dataDir = join(root, 'data');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  describe('loading the config', () => {
    it('should use JWT_SECRET when set and write nothing', () => {
      for (const namespace of CONFIG_NAMESPACES) namespace({ DATA_DIR: dataDir, JWT_SECRET: 'x'.repeat(40) });
      expect(authConfig({ DATA_DIR: dataDir, JWT_SECRET: 'x'.repeat(40) }).jwtSecret).toBe('x'.repeat(40));
      expect(readdirSync(root)).toEqual([]);
    });

    it('should refuse to load without JWT_SECRET and generate nothing', () => {
      expect(() => authConfig({ NODE_ENV: 'development', DATA_DIR: dataDir })).toThrow(/JWT_SECRET: not set/);
      expect(readdirSync(root)).toEqual([]);
    });
  });

  describe('ensureDevelopmentSecret', () => {
    it('should generate a missing JWT secret once, keep it in the data dir and reuse it', () => {
      const env: Record<string, string | undefined> = { DATA_DIR: dataDir };
      ensureDevelopmentSecret(env);
      const first = env.JWT_SECRET!;
      expect(Buffer.from(first, 'base64url').length).toBeGreaterThanOrEqual(32);
      const file = join(dataDir, 'jwt-secret');
      expect(readFileSync(file, 'utf8')).toBe(first);
      expect(statSync(file).mode & 0o077).toBe(0);

      const restarted: Record<string, string | undefined> = { DATA_DIR: dataDir };
      ensureDevelopmentSecret(restarted);
      expect(restarted.JWT_SECRET).toBe(first);
      expect(readFileSync(file, 'utf8')).toBe(first);
    });

    it('should hand the secret to authConfig through the environment', () => {
      const env: Record<string, string | undefined> = { DATA_DIR: dataDir };
      ensureDevelopmentSecret(env);
      expect(authConfig(env).jwtSecret).toBe(readFileSync(join(dataDir, 'jwt-secret'), 'utf8'));
    });

    it('should keep a JWT_SECRET that is set and write nothing', () => {
      const env: Record<string, string | undefined> = { DATA_DIR: dataDir, JWT_SECRET: 'x'.repeat(40) };
      ensureDevelopmentSecret(env);
      expect(env.JWT_SECRET).toBe('x'.repeat(40));
      expect(existsSync(dataDir)).toBe(false);
    });

    it('should never generate one in production', () => {
      const env: Record<string, string | undefined> = { NODE_ENV: 'production', DATA_DIR: dataDir };
      ensureDevelopmentSecret(env);
      expect(env.JWT_SECRET).toBeUndefined();
      expect(existsSync(dataDir)).toBe(false);
    });
  });
});

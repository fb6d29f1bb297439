import { OLD_SERVER_DEFAULT_SECRET, SAMPLE_JWT_SECRET } from './auth.config';
import { validateEnv } from './validate-env';

/** A production environment that should boot: every rule below breaks exactly one thing of it. */
const PRODUCTION = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://cartsync:secret@db.internal:5432/cartsync',
  JWT_SECRET: 'k'.repeat(32),
  PUBLIC_URL: 'https://cartsync.example.com',
  SMTP_URL: 'smtp://cartsync:secret@smtp.example.com:587',
};

/** The "Invalid configuration" message validateEnv throws, or '' when it accepts the environment. */
function problemsOf(env: Record<string, unknown>): string {
  try {
    validateEnv(env);
    return '';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

describe('validateEnv', () => {
  describe('in development', () => {
    it('should accept an empty environment', () => {
      expect(() => validateEnv({})).not.toThrow();
    });

    it('should accept NODE_ENV=development without a database or a JWT secret', () => {
      expect(() => validateEnv({ NODE_ENV: 'development' })).not.toThrow();
    });

    it('should return the environment it was given', () => {
      const env = { NODE_ENV: 'development', PORT: '4000' };
      expect(validateEnv(env)).toBe(env);
    });
  });

  describe('in production', () => {
    it('should accept a complete configuration', () => {
      expect(problemsOf(PRODUCTION)).toBe('');
    });

    it('should accept the old server DB_HOST instead of DATABASE_URL', () => {
      const { DATABASE_URL: _url, ...rest } = PRODUCTION;
      expect(
        problemsOf({ ...rest, DB_HOST: 'db.internal', DB_USER: 'cartsync', DB_PASSWORD: 'x', DB_NAME: 'cartsync' }),
      ).toBe('');
    });

    it('should refuse to boot without a database and name DATABASE_URL', () => {
      const { DATABASE_URL: _url, ...rest } = PRODUCTION;
      expect(() => validateEnv(rest)).toThrow(/DATABASE_URL/);
    });

    it('should refuse to boot without a JWT_SECRET and name it', () => {
      const { JWT_SECRET: _secret, ...rest } = PRODUCTION;
      expect(() => validateEnv(rest)).toThrow(/JWT_SECRET/);
    });

    it('should refuse a JWT_SECRET shorter than 32 bytes', () => {
      expect(() => validateEnv({ ...PRODUCTION, JWT_SECRET: 'k'.repeat(31) })).toThrow(/JWT_SECRET: .*32 bytes/);
    });

    it('should count the JWT_SECRET length in bytes, not characters', () => {
      // 11 characters of 3 bytes each: 33 bytes of key material.
      expect(problemsOf({ ...PRODUCTION, JWT_SECRET: '€'.repeat(11) })).toBe('');
    });

    it("should refuse the old server's default LEGACY_JWT_SECRET", () => {
      expect(problemsOf({ ...PRODUCTION, LEGACY_JWT_SECRET: OLD_SERVER_DEFAULT_SECRET })).toMatch(
        /LEGACY_JWT_SECRET: is the old server's built-in default/,
      );
      expect(problemsOf({ ...PRODUCTION, LEGACY_JWT_SECRET: 'change-me-in-production' })).not.toBe('');
    });

    it('should refuse a LEGACY_JWT_SECRET shorter than 32 bytes and not repeat it', () => {
      const message = problemsOf({ ...PRODUCTION, LEGACY_JWT_SECRET: 'old-secret-31-bytes-long-abcdef' });
      expect(message).toMatch(/LEGACY_JWT_SECRET: at least 32 bytes in production/);
      expect(message).not.toContain('old-secret-31');
    });

    it('should boot with a 32-byte LEGACY_JWT_SECRET, or without one', () => {
      expect(problemsOf({ ...PRODUCTION, LEGACY_JWT_SECRET: 'o'.repeat(32) })).toBe('');
      expect(problemsOf({ ...PRODUCTION, LEGACY_JWT_SECRET: '' })).toBe('');
    });

    it('should refuse the sample JWT_SECRET from .env.example', () => {
      expect(Buffer.byteLength(SAMPLE_JWT_SECRET)).toBeGreaterThanOrEqual(32);
      expect(() => validateEnv({ ...PRODUCTION, JWT_SECRET: SAMPLE_JWT_SECRET })).toThrow(/JWT_SECRET: .*sample/);
    });

    it('should not repeat the rejected secret in the error message', () => {
      const secret = 'short-but-secret-value';
      const message = problemsOf({ ...PRODUCTION, JWT_SECRET: secret });
      expect(message).toMatch(/JWT_SECRET/);
      expect(message).not.toContain(secret);
    });

    it('should refuse to boot without PUBLIC_URL and SMTP_URL, naming both', () => {
      const { PUBLIC_URL: _url, SMTP_URL: _smtp, ...rest } = PRODUCTION;
      const message = problemsOf(rest);
      expect(message).toMatch(/^Invalid configuration:\n/);
      expect(message).toContain('\n  - PUBLIC_URL: required in production');
      expect(message).toContain('\n  - SMTP_URL: required in production');
      expect(message).not.toMatch(/DATABASE_URL|JWT_SECRET/);
    });

    it('should name every bad variable at once', () => {
      const message = problemsOf({ NODE_ENV: 'production', PORT: 'eighty', JWT_TTL: 'forever' });
      expect(message).toMatch(/DATABASE_URL/);
      expect(message).toMatch(/JWT_SECRET/);
      expect(message).toMatch(/PORT/);
      expect(message).toMatch(/JWT_TTL/);
    });

    it('should not name variables that are fine', () => {
      const message = problemsOf({ ...PRODUCTION, PORT: 'eighty' });
      expect(message).toMatch(/PORT/);
      expect(message).not.toMatch(/DATABASE_URL|JWT_SECRET/);
    });
  });

  describe('PORT', () => {
    it.each(['eighty', '70000', '-1', '3000.5', ''])('should refuse PORT=%j', (port) => {
      expect(() => validateEnv({ PORT: port })).toThrow(/PORT/);
    });

    it.each(['0', '3000', '65535'])('should accept PORT=%j', (port) => {
      expect(problemsOf({ PORT: port })).toBe('');
    });
  });

  describe('JWT_TTL and REFRESH_TTL', () => {
    it.each(['30 days', '30', 'd30', '1w', '-5m', '1.5h'])('should refuse JWT_TTL=%j', (ttl) => {
      expect(() => validateEnv({ JWT_TTL: ttl })).toThrow(/JWT_TTL: must look like 30d/);
    });

    it.each(['30d', '12h', '15m', '90s', '500ms'])('should accept JWT_TTL=%j', (ttl) => {
      expect(problemsOf({ JWT_TTL: ttl })).toBe('');
    });

    it('should refuse a malformed REFRESH_TTL and name it', () => {
      expect(() => validateEnv({ REFRESH_TTL: 'ninety days' })).toThrow(/REFRESH_TTL/);
    });
  });

  describe('other variables', () => {
    it('should refuse an unknown NODE_ENV', () => {
      expect(() => validateEnv({ NODE_ENV: 'prod' })).toThrow(/NODE_ENV/);
    });

    it('should refuse an unknown LOG_LEVEL', () => {
      expect(() => validateEnv({ LOG_LEVEL: 'verbose' })).toThrow(/LOG_LEVEL/);
    });

    it('should refuse an unknown DB_SSLMODE', () => {
      expect(() => validateEnv({ DB_SSLMODE: 'on' })).toThrow(/DB_SSLMODE/);
    });

    it('should refuse a SESSION_CACHE_MS above the 5 s revocation bound', () => {
      expect(() => validateEnv({ SESSION_CACHE_MS: '5001' })).toThrow(/SESSION_CACHE_MS/);
    });

    it.each(['1m', 'lots', '1 megabyte', '-1mb', '1.5'])('should refuse BODY_LIMIT=%j', (limit) => {
      expect(() => validateEnv({ BODY_LIMIT: limit })).toThrow(/BODY_LIMIT/);
    });

    it.each(['1mb', '512kb', '2MB', '1.5mb', '100000'])('should accept BODY_LIMIT=%j', (limit) => {
      expect(problemsOf({ BODY_LIMIT: limit })).toBe('');
    });

    it.each(['0', '721', 'a day'])('should refuse IDEMPOTENCY_TTL_HOURS=%j', (hours) => {
      expect(() => validateEnv({ IDEMPOTENCY_TTL_HOURS: hours })).toThrow(/IDEMPOTENCY_TTL_HOURS/);
    });
  });
});

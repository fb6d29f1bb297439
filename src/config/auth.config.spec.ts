import { authConfig } from './auth.config';

describe('authConfig', () => {
  it('should use JWT_SECRET when set', () => {
    expect(authConfig({ JWT_SECRET: 'x'.repeat(40) }).jwtSecret).toBe('x'.repeat(40));
  });

  it('should refuse to load without a JWT_SECRET and name it', () => {
    expect(() => authConfig({ NODE_ENV: 'development' })).toThrow(/JWT_SECRET: not set/);
  });

  it('should default to 30-day tokens', () => {
    expect(authConfig({ JWT_SECRET: 'x'.repeat(40) }).accessTtlMs).toBe(30 * 86_400_000);
  });

  it('should refuse a bad variable when loaded, naming it', () => {
    expect(() => authConfig({ JWT_SECRET: 'x'.repeat(40), SESSION_CACHE_MS: '5001' })).toThrow(
      /Invalid configuration:\n {2}- SESSION_CACHE_MS: must be a whole number from 0 to 5000/,
    );
  });

  it('should leave old-server tokens off unless LEGACY_JWT_SECRET is set (empty counts as unset)', () => {
    expect(authConfig({ JWT_SECRET: 'x'.repeat(40) }).legacyJwtSecret).toBeNull();
    expect(authConfig({ JWT_SECRET: 'x'.repeat(40), LEGACY_JWT_SECRET: '' }).legacyJwtSecret).toBeNull();
    expect(authConfig({ JWT_SECRET: 'x'.repeat(40), LEGACY_JWT_SECRET: 'o'.repeat(32) }).legacyJwtSecret).toBe(
      'o'.repeat(32),
    );
  });

  it("should accept the old server's default outside production (a test import of its data)", () => {
    expect(
      authConfig({ NODE_ENV: 'development', JWT_SECRET: 'x'.repeat(40), LEGACY_JWT_SECRET: 'change-me-in-production' })
        .legacyJwtSecret,
    ).toBe('change-me-in-production');
  });

  it("should refuse the old server's default in production", () => {
    expect(() =>
      authConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40), LEGACY_JWT_SECRET: 'change-me-in-production' }),
    ).toThrow(/LEGACY_JWT_SECRET: is the old server's built-in default/);
  });
});

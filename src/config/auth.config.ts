import { isProduction } from './app.config';
import { configNamespace, configurationError, duration, integer, optionalText } from './env';

/** The value `.env.example` ships for JWT_SECRET: refused in production. */
export const SAMPLE_JWT_SECRET = 'change-me-to-at-least-32-random-bytes-in-production';

/** The old Go server's built-in JWT_SECRET: anyone can forge tokens with it, refused in production. */
export const OLD_SERVER_DEFAULT_SECRET = 'change-me-in-production';

export const authConfig = configNamespace(
  'auth',
  {
    /** Required in production (>= 32 bytes, not the sample); outside production see ensureDevelopmentSecret. */
    JWT_SECRET: optionalText(),
    /**
     * The old server's JWT_SECRET: when set, its tokens (HS256, `userId`) of imported users keep
     * working, each bound to a session on first use. Unset: old tokens get the normal 401.
     */
    LEGACY_JWT_SECRET: optionalText(),
    /** Access token lifetime (the app never refreshes). */
    JWT_TTL: duration('30d'),
    /** Refresh token / session lifetime. */
    REFRESH_TTL: duration('90d'),
    /** How long a "session is live" answer may be reused; revocations reach every instance within it. */
    SESSION_CACHE_MS: integer({ default: 2000, min: 0, max: 5000 }),
    /** argon2id, OWASP: m=19 MiB, t=2, p=1. */
    ARGON2_MEMORY_KIB: integer({ default: 19_456, min: 1024, max: 4_194_304 }),
    ARGON2_TIME_COST: integer({ default: 2, min: 1, max: 20 }),
    ARGON2_PARALLELISM: integer({ default: 1, min: 1, max: 16 }),
    /**
     * Hashes computed at once (each holds a libuv thread and ARGON2_MEMORY_KIB): 2 of libuv's
     * 4 threads, the others stay free for the rest of the app.
     */
    ARGON2_MAX_CONCURRENT: integer({ default: 2, min: 1, max: 64 }),
    /** Hashes waiting for a slot; one more is refused at once with 503 and Retry-After. */
    ARGON2_MAX_QUEUE: integer({ default: 16, min: 0, max: 10_000 }),
    /** Password reset code lifetime. */
    RESET_CODE_TTL_MIN: integer({ default: 10, min: 1, max: 1440 }),
    /** Wrong tries that burn a reset code. */
    RESET_MAX_ATTEMPTS: integer({ default: 5, min: 1, max: 100 }),
    /** How long an invite code works; a member reading the list afterwards gets a fresh one. */
    INVITE_TTL_DAYS: integer({ default: 7, min: 1, max: 365 }),
  },
  (v) => ({
    jwtSecret: v.JWT_SECRET ?? missingSecret(),
    legacyJwtSecret: v.LEGACY_JWT_SECRET ?? null,
    accessTtlMs: v.JWT_TTL,
    refreshTtlMs: v.REFRESH_TTL,
    sessionCacheMs: v.SESSION_CACHE_MS,
    argon2: {
      memoryCost: v.ARGON2_MEMORY_KIB,
      timeCost: v.ARGON2_TIME_COST,
      parallelism: v.ARGON2_PARALLELISM,
    },
    argon2Capacity: { concurrent: v.ARGON2_MAX_CONCURRENT, queue: v.ARGON2_MAX_QUEUE },
    reset: {
      ttlMs: v.RESET_CODE_TTL_MIN * 60_000,
      maxAttempts: v.RESET_MAX_ATTEMPTS,
    },
    invite: {
      ttlMs: v.INVITE_TTL_DAYS * 86_400_000,
    },
  }),
  ({ JWT_SECRET, LEGACY_JWT_SECRET }, env) => {
    if (!isProduction(env)) return [];
    const problems: string[] = [];
    if (!JWT_SECRET || Buffer.byteLength(JWT_SECRET) < 32) {
      problems.push('JWT_SECRET: required in production, at least 32 bytes');
    } else if (JWT_SECRET === SAMPLE_JWT_SECRET) {
      problems.push('JWT_SECRET: is the sample value from .env.example; generate a random one');
    }
    // A short or public HS256 key lets anyone forge an old token for any imported account.
    if (LEGACY_JWT_SECRET === OLD_SERVER_DEFAULT_SECRET) {
      problems.push(
        "LEGACY_JWT_SECRET: is the old server's built-in default; its tokens can be forged, leave it unset",
      );
    } else if (LEGACY_JWT_SECRET && Buffer.byteLength(LEGACY_JWT_SECRET) < 32) {
      problems.push('LEGACY_JWT_SECRET: at least 32 bytes in production (a shorter key can be guessed from one token)');
    }
    return problems;
  },
);

/** Loading config never writes: the development secret comes from the bootstrap step in main.ts. */
function missingSecret(): never {
  throw configurationError([
    'JWT_SECRET: not set (outside production main.ts generates one into $DATA_DIR/jwt-secret before the app starts)',
  ]);
}

export type AuthConfig = ReturnType<typeof authConfig>;

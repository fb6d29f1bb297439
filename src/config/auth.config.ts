import { registerAs } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseDuration } from './duration';

/** Outside production a missing JWT_SECRET is generated once and kept in the data dir. */
function developmentSecret(dataDir: string): string {
  const file = join(dataDir, 'jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

export const authConfig = registerAs('auth', () => ({
  jwtSecret: process.env.JWT_SECRET ?? developmentSecret(resolve(process.env.DATA_DIR ?? '.data')),
  accessTtlMs: parseDuration(process.env.JWT_TTL ?? '30d'),
  refreshTtlMs: parseDuration(process.env.REFRESH_TTL ?? '90d'),
  /** How long a "session is live" answer may be reused; revocations reach every instance within it. */
  sessionCacheMs: Number(process.env.SESSION_CACHE_MS ?? 2000),
  argon2: {
    memoryCost: Number(process.env.ARGON2_MEMORY_KIB ?? 19_456),
    timeCost: Number(process.env.ARGON2_TIME_COST ?? 2),
    parallelism: Number(process.env.ARGON2_PARALLELISM ?? 1),
  },
  reset: {
    ttlMs: Number(process.env.RESET_CODE_TTL_MIN ?? 10) * 60_000,
    maxAttempts: Number(process.env.RESET_MAX_ATTEMPTS ?? 5),
    requestsPerHour: Number(process.env.RESET_REQUESTS_PER_HOUR ?? 5),
  },
  invite: {
    maxFailures: Number(process.env.INVITE_MAX_FAILURES ?? 10),
    failureWindowMs: Number(process.env.INVITE_FAILURE_WINDOW_SEC ?? 900) * 1000,
  },
}));

export type AuthConfig = ReturnType<typeof authConfig>;

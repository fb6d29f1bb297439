import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataDir, isProduction } from './app.config';

/**
 * Bootstrap step (main.ts, before the app reads its config): outside production a missing
 * JWT_SECRET is generated once into `$DATA_DIR/jwt-secret`, reused on every later start, and
 * put into `env`. Production never gets one: its config refuses to boot without JWT_SECRET.
 */
export function ensureDevelopmentSecret(env: Record<string, string | undefined>): void {
  if (isProduction(env) || env.JWT_SECRET) return;
  const dir = dataDir(env);
  const file = join(dir, 'jwt-secret');
  mkdirSync(dir, { recursive: true });
  try {
    // `wx`: when two instances start together, the first one's secret is the one both keep.
    writeFileSync(file, randomBytes(48).toString('base64url'), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  env.JWT_SECRET = readFileSync(file, 'utf8').trim();
}

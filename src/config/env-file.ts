import { existsSync } from 'node:fs';

/** Loads `./.env` when present (copied from .env.example); variables set in the shell win. */
export function loadEnvFile(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}

import { registerAs } from '@nestjs/config';
import { join, resolve } from 'node:path';

export interface DatabaseConnection {
  url: string;
  ssl: false | { rejectUnauthorized: boolean };
}

const SSL_BY_MODE: Record<string, DatabaseConnection['ssl']> = {
  disable: false,
  allow: { rejectUnauthorized: false },
  prefer: { rejectUnauthorized: false },
  require: { rejectUnauthorized: false },
  'verify-ca': { rejectUnauthorized: true },
  'verify-full': { rejectUnauthorized: true },
};

/** libpq's sslmode, as the old server's DB_SSLMODE used it. */
function sslFor(mode: string | null | undefined): DatabaseConnection['ssl'] {
  return (mode && SSL_BY_MODE[mode]) || false;
}

/** DATABASE_URL wins; otherwise the old Go server's DB_* variables; otherwise null (embedded). */
export function externalDatabase(env: NodeJS.ProcessEnv = process.env): DatabaseConnection | null {
  if (env.DATABASE_URL) {
    const sslmode = new URL(env.DATABASE_URL).searchParams.get('sslmode') ?? env.DB_SSLMODE;
    return { url: env.DATABASE_URL, ssl: sslFor(sslmode) };
  }
  if (!env.DB_HOST) return null;
  const url = new URL('postgres://localhost');
  url.hostname = env.DB_HOST;
  url.port = env.DB_PORT ?? '5432';
  url.username = encodeURIComponent(env.DB_USER ?? 'postgres');
  url.password = encodeURIComponent(env.DB_PASSWORD ?? '');
  url.pathname = `/${encodeURIComponent(env.DB_NAME ?? 'cartsync')}`;
  return { url: url.toString(), ssl: sslFor(env.DB_SSLMODE) };
}

export const databaseConfig = registerAs('database', () => ({
  external: externalDatabase(),
  poolSize: Number(process.env.DB_POOL_SIZE ?? 10),
  embeddedPort: Number(process.env.EMBEDDED_PG_PORT ?? 54329),
}));

export type DatabaseConfig = ReturnType<typeof databaseConfig>;

/** Where and on which port the zero-config embedded PostgreSQL runs. */
export function embeddedDatabaseSettings(env: NodeJS.ProcessEnv = process.env) {
  return {
    dataDir: join(resolve(env.DATA_DIR ?? '.data'), 'pg'),
    port: Number(env.EMBEDDED_PG_PORT ?? 54329),
  };
}

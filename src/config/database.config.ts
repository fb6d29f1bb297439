import { join } from 'node:path';
import { dataDir, isProduction } from './app.config';
import { configNamespace, Env, integer, oneOf, optionalText, readVariables, text, Values } from './env';

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

/**
 * DATABASE_URL, or the old Go server's DB_* variables. Neither set (outside production): an
 * embedded PostgreSQL in $DATA_DIR/pg on EMBEDDED_PG_PORT.
 */
const variables = {
  /** e.g. postgres://cartsync:cartsync@localhost:5432/cartsync; its `sslmode` parameter wins over DB_SSLMODE. */
  DATABASE_URL: optionalText(),
  DB_HOST: optionalText(),
  DB_PORT: integer({ default: 5432, min: 1, max: 65535 }),
  DB_USER: text('postgres'),
  DB_PASSWORD: text(''),
  DB_NAME: text('cartsync'),
  DB_SSLMODE: oneOf(Object.keys(SSL_BY_MODE), 'disable'),
  DB_POOL_SIZE: integer({ default: 10, min: 1, max: 1000 }),
  /** Longest wait for a new connection (pool and LISTEN connection): an unreachable server fails this fast. */
  DB_CONNECT_TIMEOUT_MS: integer({ default: 5000, min: 100, max: 60_000 }),
  /** A free port is taken when this one is busy. */
  EMBEDDED_PG_PORT: integer({ default: 54329, min: 1, max: 65535 }),
};

function connectionOf(v: Values<typeof variables>): DatabaseConnection | null {
  if (v.DATABASE_URL) {
    const sslmode = new URL(v.DATABASE_URL).searchParams.get('sslmode') ?? v.DB_SSLMODE;
    return { url: v.DATABASE_URL, ssl: sslFor(sslmode) };
  }
  if (!v.DB_HOST) return null;
  const url = new URL('postgres://localhost');
  url.hostname = v.DB_HOST;
  url.port = String(v.DB_PORT);
  url.username = encodeURIComponent(v.DB_USER);
  url.password = encodeURIComponent(v.DB_PASSWORD);
  url.pathname = `/${encodeURIComponent(v.DB_NAME)}`;
  return { url: url.toString(), ssl: sslFor(v.DB_SSLMODE) };
}

export const databaseConfig = configNamespace(
  'database',
  variables,
  (v) => ({
    /** null: the embedded database (main.ts starts it and sets DATABASE_URL before the app loads). */
    external: connectionOf(v),
    poolSize: v.DB_POOL_SIZE,
    connectTimeoutMs: v.DB_CONNECT_TIMEOUT_MS,
    embeddedPort: v.EMBEDDED_PG_PORT,
  }),
  (v, env) =>
    isProduction(env) && !v.DATABASE_URL && !v.DB_HOST
      ? ['DATABASE_URL: required in production (or DB_HOST with DB_USER, DB_PASSWORD, DB_NAME)']
      : [],
);

export type DatabaseConfig = ReturnType<typeof databaseConfig>;

/** DATABASE_URL wins; otherwise the DB_* variables; otherwise null (embedded). Also for the TypeORM CLI. */
export function externalDatabase(env: Env = process.env): DatabaseConnection | null {
  return connectionOf(readVariables(env, variables).values);
}

/** Where and on which port the zero-config embedded PostgreSQL runs. */
export function embeddedDatabaseSettings(env: Env = process.env) {
  return {
    dataDir: join(dataDir(env), 'pg'),
    port: readVariables(env, variables).values.EMBEDDED_PG_PORT,
  };
}

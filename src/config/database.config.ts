import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataDir, isProduction } from './app.config';
import { configNamespace, Env, integer, oneOf, optionalText, readVariables, text, Values } from './env';

export interface DatabaseTls {
  /** Whether the server's certificate must chain to a trusted CA: false only with `no-verify`. */
  rejectUnauthorized: boolean;
  /** The CA file's PEM (DB_SSLROOTCERT, or `sslrootcert` in DATABASE_URL): trusted instead of Node's CAs. */
  ca?: string;
  /** A client certificate and key (`sslcert`, `sslkey` in DATABASE_URL). */
  cert?: string;
  key?: string;
  /** `verify-ca`: the certificate must chain to the CA file, whatever host name it names. */
  checkServerIdentity?: () => undefined;
}

export interface DatabaseConnection {
  /** The connection string handed to node-postgres, without the TLS parameters `ssl` stands for. */
  url: string;
  ssl: false | DatabaseTls;
}

/**
 * node-postgres's own reading of sslmode (pg 8 / pg-connection-string 2): every mode but
 * `disable` encrypts and verifies the server's certificate (against Node's CAs or the CA file)
 * and its host name, with no plain-text fallback; `verify-ca` skips the host name check (and so
 * needs a CA file of your own); `no-verify` encrypts without verifying anything (libpq's
 * `require`: anyone in the path can pose as the server).
 */
export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** DATABASE_URL parameters that configure TLS: ours to read, so node-postgres never parses them a second way. */
const TLS_PARAMETERS = ['sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'ssl', 'uselibpqcompat', 'sslnegotiation'];

interface TlsSettings {
  mode: SslMode;
  /** Where each setting came from, for the problems. */
  modeFrom: string;
  rootCert: { path: string; from: string } | null;
  cert: string | null;
  key: string | null;
}

const SAMPLE_URL = 'postgres://user:password@db.example.com:5432/cartsync';

function readPem(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** The TLS settings of a connection: DATABASE_URL's parameters win over DB_SSLMODE and DB_SSLROOTCERT. */
function tlsSettings(v: Values<typeof variables>, url: URL | null): TlsSettings {
  const param = (name: string) => url?.searchParams.get(name) ?? null;
  const legacySsl = param('ssl');
  const urlMode =
    param('sslmode') ??
    (legacySsl === null
      ? null
      : legacySsl === 'no-verify'
        ? 'no-verify'
        : /^(true|1)$/.test(legacySsl)
          ? 'verify-full'
          : 'disable');
  const rootCertParam = param('sslrootcert');
  return {
    mode: (urlMode ?? v.DB_SSLMODE) as SslMode,
    modeFrom: urlMode === null ? 'DB_SSLMODE' : 'DATABASE_URL',
    rootCert: rootCertParam
      ? { path: rootCertParam, from: 'DATABASE_URL (sslrootcert)' }
      : v.DB_SSLROOTCERT
        ? { path: v.DB_SSLROOTCERT, from: 'DB_SSLROOTCERT' }
        : null,
    cert: param('sslcert'),
    key: param('sslkey'),
  };
}

/**
 * What node-postgres is given as `ssl`. A file that cannot be read is left out (the rules
 * refuse to boot on it; this must not throw, since the TypeORM CLI reads it at import).
 */
function tlsFor(settings: TlsSettings): DatabaseConnection['ssl'] {
  if (settings.mode === 'disable') return false;
  if (settings.mode === 'no-verify') return { rejectUnauthorized: false };
  const tls: DatabaseTls = { rejectUnauthorized: true };
  const ca = settings.rootCert ? readPem(settings.rootCert.path) : null;
  if (ca !== null) tls.ca = ca;
  const cert = settings.cert ? readPem(settings.cert) : null;
  const key = settings.key ? readPem(settings.key) : null;
  if (cert !== null) tls.cert = cert;
  if (key !== null) tls.key = key;
  // Without a CA of its own, verify-ca would accept any certificate a public CA issued to anyone.
  if (settings.mode === 'verify-ca' && ca !== null) tls.checkServerIdentity = () => undefined;
  return tls;
}

function tlsProblems(v: Values<typeof variables>): string[] {
  if (!v.DATABASE_URL && !v.DB_HOST) return [];
  const url = v.DATABASE_URL ? URL.parse(v.DATABASE_URL) : null;
  if (v.DATABASE_URL && (!url || !/^postgres(ql)?:$/.test(url.protocol))) {
    return [`DATABASE_URL: must be a postgres:// URL such as ${SAMPLE_URL}`];
  }
  const problems: string[] = [];
  const param = (name: string) => url?.searchParams.get(name) ?? null;
  const sslmode = param('sslmode');
  if (sslmode !== null && !(SSL_MODES as readonly string[]).includes(sslmode)) {
    problems.push(`DATABASE_URL: sslmode must be one of ${SSL_MODES.join(', ')}`);
  }
  if (param('uselibpqcompat') !== null) {
    problems.push(
      'DATABASE_URL: uselibpqcompat is not supported: sslmode follows node-postgres (sslmode=no-verify encrypts without verifying)',
    );
  }
  if (param('sslnegotiation') !== null) problems.push('DATABASE_URL: sslnegotiation is not supported');
  if (problems.length > 0) return problems;
  const settings = tlsSettings(v, url);
  if (settings.mode === 'disable' || settings.mode === 'no-verify') return [];
  if (settings.rootCert && readPem(settings.rootCert.path) === null) {
    problems.push(`${settings.rootCert.from}: cannot read the CA file ${settings.rootCert.path}`);
  }
  for (const [name, path] of [
    ['sslcert', settings.cert],
    ['sslkey', settings.key],
  ] as const) {
    if (path && readPem(path) === null) problems.push(`DATABASE_URL (${name}): cannot read ${path}`);
  }
  if (settings.mode === 'verify-ca' && !settings.rootCert) {
    problems.push(
      `${settings.modeFrom}: verify-ca needs DB_SSLROOTCERT (the CA file that signed the server's certificate); with a certificate from a public CA use verify-full`,
    );
  }
  return problems;
}

/**
 * DATABASE_URL, or the old Go server's DB_* variables. Neither set (outside production): an
 * embedded PostgreSQL in $DATA_DIR/pg on EMBEDDED_PG_PORT.
 */
const variables = {
  /**
   * e.g. postgres://cartsync:cartsync@localhost:5432/cartsync; its `sslmode`, `sslrootcert`
   * (`sslcert`, `sslkey`) parameters win over DB_SSLMODE and DB_SSLROOTCERT.
   */
  DATABASE_URL: optionalText(),
  DB_HOST: optionalText(),
  DB_PORT: integer({ default: 5432, min: 1, max: 65535 }),
  DB_USER: text('postgres'),
  DB_PASSWORD: text(''),
  DB_NAME: text('cartsync'),
  /** See SSL_MODES: every mode but disable and no-verify verifies the server's certificate. */
  DB_SSLMODE: oneOf(SSL_MODES, 'disable'),
  /** A CA file (PEM) to verify the server's certificate with: a private CA (RDS, Cloud SQL, your own). */
  DB_SSLROOTCERT: optionalText(),
  DB_POOL_SIZE: integer({ default: 10, min: 1, max: 1000 }),
  /** Longest wait for a new connection (pool and LISTEN connection): an unreachable server fails this fast. */
  DB_CONNECT_TIMEOUT_MS: integer({ default: 5000, min: 100, max: 60_000 }),
  /** A free port is taken when this one is busy. */
  EMBEDDED_PG_PORT: integer({ default: 54329, min: 1, max: 65535 }),
};

function connectionOf(v: Values<typeof variables>): DatabaseConnection | null {
  if (v.DATABASE_URL) {
    const url = URL.parse(v.DATABASE_URL);
    // Not a URL: the rules refuse it; node-postgres would fail on it the same way.
    if (!url) return { url: v.DATABASE_URL, ssl: false };
    const ssl = tlsFor(tlsSettings(v, url));
    if (!TLS_PARAMETERS.some((name) => url.searchParams.has(name))) return { url: v.DATABASE_URL, ssl };
    for (const name of TLS_PARAMETERS) url.searchParams.delete(name);
    return { url: url.toString(), ssl };
  }
  if (!v.DB_HOST) return null;
  const url = new URL('postgres://localhost');
  url.hostname = v.DB_HOST;
  url.port = String(v.DB_PORT);
  url.username = encodeURIComponent(v.DB_USER);
  url.password = encodeURIComponent(v.DB_PASSWORD);
  url.pathname = `/${encodeURIComponent(v.DB_NAME)}`;
  return { url: url.toString(), ssl: tlsFor(tlsSettings(v, null)) };
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
  (v, env) => [
    ...(isProduction(env) && !v.DATABASE_URL && !v.DB_HOST
      ? ['DATABASE_URL: required in production (or DB_HOST with DB_USER, DB_PASSWORD, DB_NAME)']
      : []),
    ...tlsProblems(v),
  ],
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

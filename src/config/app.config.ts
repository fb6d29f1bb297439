import { isIP } from 'node:net';
import { resolve } from 'node:path';
import {
  configNamespace,
  Env,
  integer,
  matching,
  oneOf,
  optionalBoolean,
  optionalText,
  parsed,
  readVariable,
  text,
} from './env';

/** Express "trust proxy": trust every hop (true), none (false), that many hops, or these addresses. */
export type TrustProxy = boolean | number | string[];

const PROXY_PRESETS = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** One entry of an address list: a preset, an address, or a subnet (`10.0.0.0/8`, `fd00::/8`). */
function isProxyAddress(entry: string): boolean {
  if (PROXY_PRESETS.has(entry)) return true;
  const [address, range, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (range === undefined) return true;
  if (/^\d{1,3}$/.test(range)) return Number(range) <= (family === 4 ? 32 : 128);
  return family === 4 && isIP(range) === 4;
}

/**
 * TRUST_PROXY as Express needs it: Express reads a string as a list of addresses, so "1" or
 * "false" passed through would mean the address 0.0.0.1 (trust nobody, silently) or crash the boot.
 */
export function parseTrustProxy(raw: string): TrustProxy | null {
  const value = raw.trim();
  if (value === 'true' || value === 'false') return value === 'true';
  if (/^\d{1,2}$/.test(value)) return Number(value);
  const entries = value.split(',').map((entry) => entry.trim());
  return entries.every(isProxyAddress) ? entries : null;
}

const NODE_ENV = oneOf(['development', 'production', 'test'], 'development');
/** Working files of a zero-config run: embedded database, generated secret, dev mail. */
const DATA_DIR = text('./.data');

export function isProduction(env: Env): boolean {
  return readVariable(env, 'NODE_ENV', NODE_ENV) === 'production';
}

/** DATA_DIR, absolute: the other namespaces keep their working files below it. */
export function dataDir(env: Env): string {
  return resolve(readVariable(env, 'DATA_DIR', DATA_DIR));
}

export const appConfig = configNamespace(
  'app',
  {
    NODE_ENV,
    PORT: integer({ default: 3000, min: 0, max: 65535 }),
    HOST: text('0.0.0.0'),
    /**
     * Absolute base for links the server hands out (signed receipt URLs). Required in
     * production, https there (http only for localhost); elsewhere default http://localhost:PORT.
     */
    PUBLIC_URL: optionalText(),
    DATA_DIR,
    /** Comma-separated allowlist of browser origins; empty: none. */
    CORS_ORIGINS: text(''),
    /**
     * Whose X-Forwarded-For is believed (the client address that sessions record and per-address
     * throttles count): false, true (anyone: only behind a proxy that overwrites the header),
     * a hop count, or addresses/subnets of the proxies (and the presets loopback, linklocal,
     * uniquelocal). Default: a proxy on this host.
     */
    TRUST_PROXY: parsed(
      'loopback',
      parseTrustProxy,
      'must be true, false, a hop count, or comma-separated addresses, subnets or loopback/linklocal/uniquelocal',
    ),
    /** JSON body limit, a byte size for body-parser: `1mb`, `512kb` or bytes. `1m` would silently mean 1 byte. */
    BODY_LIMIT: matching(/^(\d+|\d+(\.\d+)? *(b|kb|mb|gb))$/i, 'must be a size such as 1mb, 512kb or 100000', '1mb'),
    /** Default: silent under test, info otherwise. */
    LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    /** SIGTERM: longest wait for in-flight requests. */
    SHUTDOWN_TIMEOUT_MS: integer({ default: 30_000, min: 0, max: 600_000 }),
    /** Serves /docs and /docs-json; default: false in production, true otherwise. */
    SWAGGER_ENABLED: optionalBoolean(),
  },
  (v, env) => ({
    nodeEnv: v.NODE_ENV,
    isProduction: isProduction(env),
    port: v.PORT,
    host: v.HOST,
    publicUrl: (v.PUBLIC_URL ?? `http://localhost:${v.PORT}`).replace(/\/+$/, ''),
    dataDir: dataDir(env),
    corsOrigins: v.CORS_ORIGINS.split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
    trustProxy: v.TRUST_PROXY,
    bodyLimit: v.BODY_LIMIT,
    logLevel: v.LOG_LEVEL ?? (v.NODE_ENV === 'test' ? 'silent' : 'info'),
    shutdownTimeoutMs: v.SHUTDOWN_TIMEOUT_MS,
    swaggerEnabled: v.SWAGGER_ENABLED ?? !isProduction(env),
  }),
  (v, env) => publicUrlProblems(v.PUBLIC_URL, isProduction(env)),
);

const LOCALHOST = /^(localhost|[^.]+\.localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/** PUBLIC_URL's rules; the value is never repeated (the problems are printed at boot). */
function publicUrlProblems(publicUrl: string | undefined, production: boolean): string[] {
  if (publicUrl === undefined) {
    return production
      ? [
          'PUBLIC_URL: required in production: the https address clients reach, used in the links the server hands out (e.g. https://cartsync.example.com)',
        ]
      : [];
  }
  const url = URL.parse(publicUrl);
  const absolute =
    url !== null &&
    (url.protocol === 'https:' || url.protocol === 'http:') &&
    url.hostname !== '' &&
    url.search === '' &&
    url.hash === '' &&
    !publicUrl.includes('?') &&
    !publicUrl.includes('#') &&
    url.username === '' &&
    url.password === '';
  if (!absolute) {
    return [
      'PUBLIC_URL: must be an absolute http(s) URL with no query, fragment or credentials, e.g. https://cartsync.example.com',
    ];
  }
  if (production && url.protocol === 'http:' && !LOCALHOST.test(url.hostname)) {
    return ['PUBLIC_URL: must use https in production (http only for localhost)'];
  }
  return [];
}

export type AppConfig = ReturnType<typeof appConfig>;

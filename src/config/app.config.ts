import { resolve } from 'node:path';
import {
  configNamespace,
  Env,
  integer,
  matching,
  oneOf,
  optionalBoolean,
  optionalText,
  readVariable,
  text,
} from './env';

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
    /** Express "trust proxy": the hops or addresses of the load balancer. */
    TRUST_PROXY: text('loopback'),
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

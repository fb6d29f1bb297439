import { resolve } from 'node:path';
import { boolean, configNamespace, Env, integer, matching, oneOf, optionalText, readVariable, text } from './env';

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
    /** Absolute base for links the server hands out (signed receipt URLs); default http://localhost:PORT. */
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
    /** Serves /docs and /docs-json. */
    SWAGGER_ENABLED: boolean(true),
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
    swaggerEnabled: v.SWAGGER_ENABLED,
  }),
);

export type AppConfig = ReturnType<typeof appConfig>;

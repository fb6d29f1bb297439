import { registerAs } from '@nestjs/config';
import { resolve } from 'node:path';

export const appConfig = registerAs('app', () => {
  const port = Number(process.env.PORT ?? 3000);
  return {
    nodeEnv: process.env.NODE_ENV ?? 'development',
    isProduction: process.env.NODE_ENV === 'production',
    port,
    host: process.env.HOST ?? '0.0.0.0',
    /** Absolute base for links the server hands out (signed receipt URLs). */
    publicUrl: (process.env.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    /** Working files of a zero-config run: embedded database, generated secret, dev mail. */
    dataDir: resolve(process.env.DATA_DIR ?? '.data'),
    corsOrigins: (process.env.CORS_ORIGINS ?? '')
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
    trustProxy: process.env.TRUST_PROXY ?? 'loopback',
    bodyLimit: process.env.BODY_LIMIT ?? '1mb',
    logLevel: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info'),
    shutdownTimeoutMs: Number(process.env.SHUTDOWN_TIMEOUT_MS ?? 30_000),
    swaggerEnabled: (process.env.SWAGGER_ENABLED ?? 'true') === 'true',
  };
});

export type AppConfig = ReturnType<typeof appConfig>;

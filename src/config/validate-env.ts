import { appConfig } from './app.config';
import { authConfig } from './auth.config';
import { clientTimeConfig } from './client-time.config';
import { databaseConfig } from './database.config';
import { configurationError } from './env';
import { idempotencyConfig } from './idempotency.config';
import { learningConfig } from './learning.config';
import { mailConfig } from './mail.config';
import { observabilityConfig } from './observability.config';
import { quotaConfig } from './quota.config';
import { realtimeConfig } from './realtime.config';
import { throttleConfig } from './throttle.config';
import { tripsConfig } from './trips.config';

/** Every config namespace: loaded by ConfigModule, validated together at boot. */
export const CONFIG_NAMESPACES = [
  appConfig,
  authConfig,
  clientTimeConfig,
  databaseConfig,
  idempotencyConfig,
  learningConfig,
  mailConfig,
  observabilityConfig,
  quotaConfig,
  realtimeConfig,
  throttleConfig,
  tripsConfig,
];

/** Validates `process.env` once at boot and fails with every bad variable of every namespace named. */
export function validateEnv<E extends Record<string, unknown>>(env: E): E {
  const problems = CONFIG_NAMESPACES.flatMap((namespace) => namespace.problems(env));
  if (problems.length > 0) throw configurationError(problems);
  return env;
}

import { configNamespace, oneOf, optionalText, Variable } from './env';

export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** json | pretty; unset or empty: decided at boot (pretty in development on a terminal). */
function logFormat(): Variable<LogFormat | undefined> {
  const known = oneOf(LOG_FORMATS);
  return (raw) => (raw === '' ? undefined : known(raw));
}

/** Shortest METRICS_TOKEN: a guessable one would publish the server's traffic. */
export const METRICS_TOKEN_MIN_LENGTH = 16;

/** How people and machines watch the server: the log format and Prometheus `/metrics`. */
export const observabilityConfig = configNamespace(
  'observability',
  {
    /** json | pretty; default: pretty when NODE_ENV=development and stdout is a terminal, json otherwise. */
    LOG_FORMAT: logFormat(),
    /** Serves GET /metrics to `Authorization: Bearer <METRICS_TOKEN>`; unset: /metrics is not served. */
    METRICS_TOKEN: optionalText(),
  },
  (v) => ({ logFormat: v.LOG_FORMAT, metricsToken: v.METRICS_TOKEN ?? null }),
  (v) =>
    v.METRICS_TOKEN !== undefined && v.METRICS_TOKEN.length < METRICS_TOKEN_MIN_LENGTH
      ? [`METRICS_TOKEN: must be at least ${METRICS_TOKEN_MIN_LENGTH} characters (e.g. openssl rand -hex 32)`]
      : [],
);

export type ObservabilityConfig = ReturnType<typeof observabilityConfig>;

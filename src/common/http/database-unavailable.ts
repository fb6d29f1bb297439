import { QueryRunnerAlreadyReleasedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';

/** What a client hears while the database cannot be reached: try again in this many seconds. */
export const DATABASE_RETRY_AFTER_SEC = 5;

/** Socket errors of a database host that is down, unreachable or gone mid-conversation. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs saying the server cannot serve this connection now, as opposed to "this query is
 * wrong": admin_shutdown, crash_shutdown, cannot_connect_now (starting up, shutting down,
 * in recovery), too_many_connections; and the whole class 08, connection exceptions.
 */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);

/** What node-postgres and pg-pool say, without a code, when a connection ended, never came, or broke. */
const DRIVER_MESSAGES = [
  /^Connection terminated/, // "… unexpectedly", "… due to connection timeout"
  /^timeout exceeded when trying to connect$/, // no free pool connection within connectionTimeoutMillis
  /^Client has encountered a connection error and is not queryable$/,
];

interface DriverError {
  code?: unknown;
  message?: unknown;
  /** TypeORM's QueryFailedError keeps the driver's error here. */
  driverError?: unknown;
  cause?: unknown;
  /** AggregateError: one connection attempt per address. */
  errors?: unknown;
}

function isConnectionFailure(error: DriverError): boolean {
  const code = typeof error.code === 'string' ? error.code : '';
  if (NETWORK_CODES.has(code) || UNAVAILABLE_STATES.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return true;
  const message = typeof error.message === 'string' ? error.message : '';
  return DRIVER_MESSAGES.some((pattern) => pattern.test(message));
}

/**
 * Whether `error` means the database could not be reached or dropped the connection (the
 * request may well succeed in a moment), rather than a query or a rule that failed. The
 * answer is then 503 with Retry-After: never 401 (apps sign out on 401), never 500.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 3) return false;
  // The connection of a unit of work died under it (a restart): TypeORM released it, the
  // transaction rolled back with it, and the next query of that unit of work (or its COMMIT)
  // says so, through the provider or the query runner itself.
  if (error instanceof QueryRunnerProviderAlreadyReleasedError || error instanceof QueryRunnerAlreadyReleasedError) {
    return true;
  }
  const candidate = error as DriverError;
  if (isConnectionFailure(candidate)) return true;
  const nested = [
    candidate.driverError,
    candidate.cause,
    ...(Array.isArray(candidate.errors) ? (candidate.errors as unknown[]) : []),
  ];
  return nested.some((inner) => inner !== error && isDatabaseUnavailable(inner, depth + 1));
}

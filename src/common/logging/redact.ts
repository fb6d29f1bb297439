const SECRET_PARAMS = new Set(['token', 'ticket', 'code', 'refreshToken', 'sig']);

/** Replaces the values of credential-bearing query parameters (`?token=`, `?ticket=` …). */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = decodeURIComponentSafe(eq < 0 ? pair : pair.slice(0, eq));
      return SECRET_PARAMS.has(name) ? `${pair.slice(0, eq < 0 ? pair.length : eq)}=[redacted]` : pair;
    });
  return `${url.slice(0, q)}?${params.join('&')}`;
}

function decodeURIComponentSafe(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * What an error may put in a log line: its kind, message, stack and the codes and names that
 * tell what failed. Nothing that carries the data it failed on: a failed query's `parameters`
 * (an email, a password hash), PostgreSQL's `detail` (`Key (email)=(ana@…)`), `where`/`hint`,
 * a body-parser error's `body`, an HTTP client's `config`/`headers`.
 */
const ERROR_FIELDS = [
  'type',
  'message',
  'stack',
  'code',
  'errno',
  'syscall',
  'address',
  'port',
  'status',
  'statusCode',
  'severity',
  'schema',
  'table',
  'column',
  'dataType',
  'constraint',
  'routine',
  // The statement with its $1… placeholders, never the values bound to them.
  'query',
] as const;

/** SQLSTATE class 22 (data exception): PostgreSQL quotes the offending value in the message. */
const VALUE_IN_MESSAGE = /^22/;

type SerializedError = Record<string, unknown> & { message?: unknown; stack?: unknown; code?: unknown };

/**
 * pino's `err` serializer, after pino's standard one: keeps {@link ERROR_FIELDS} only (and the
 * same of an AggregateError's errors), and blanks the quoted value out of a data exception's
 * message (`invalid input syntax for type uuid: "…"`).
 */
export function redactError(serialized: unknown): unknown {
  if (typeof serialized !== 'object' || serialized === null) return serialized;
  const err = serialized as SerializedError;
  const safe: Record<string, unknown> = {};
  for (const field of ERROR_FIELDS) {
    if (err[field] !== undefined) safe[field] = err[field];
  }
  if (typeof err.code === 'string' && VALUE_IN_MESSAGE.test(err.code) && typeof err.message === 'string') {
    const message = err.message.replace(/"(?:[^"\\]|\\.)*"/g, '"…"');
    safe.message = message;
    if (typeof err.stack === 'string') safe.stack = err.stack.split(err.message).join(message);
  }
  if (Array.isArray(err.aggregateErrors)) safe.aggregateErrors = err.aggregateErrors.map(redactError);
  return safe;
}

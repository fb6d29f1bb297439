import { err as standardErrSerializer } from 'pino-std-serializers';
import { QueryFailedError } from 'typeorm';
import { redactError, redactUrl } from './redact';

/** What pino logs for `err`: its standard serializer, then ours. */
function logged(error: unknown): Record<string, unknown> {
  return redactError(standardErrSerializer(error as Error)) as Record<string, unknown>;
}

/** A node-postgres DatabaseError as it reaches TypeORM. */
function databaseError(code: string, message: string, fields: Record<string, string> = {}): Error {
  return Object.assign(new Error(message), { name: 'error', severity: 'ERROR', code, ...fields });
}

describe('redactError', () => {
  it('should keep the kind, message, stack, SQLSTATE, constraint and statement of a failed query, and drop its parameters and detail', () => {
    const driverError = databaseError('23505', 'duplicate key value violates unique constraint "users_email_key"', {
      detail: 'Key (email)=(ana@example.com) already exists.',
      table: 'users',
      constraint: 'users_email_key',
      where: 'SQL statement',
    });
    const error = new QueryFailedError(
      'INSERT INTO users (email, password_hash) VALUES ($1, $2)',
      ['ana@example.com', '$argon2id$v=19$…'],
      driverError,
    );

    const line = logged(error);

    expect(line).toEqual({
      type: 'QueryFailedError',
      message: 'duplicate key value violates unique constraint "users_email_key"',
      stack: expect.stringContaining('QueryFailedError: duplicate key value'),
      code: '23505',
      severity: 'ERROR',
      table: 'users',
      constraint: 'users_email_key',
      query: 'INSERT INTO users (email, password_hash) VALUES ($1, $2)',
    });
    expect(JSON.stringify(line)).not.toMatch(/ana@example\.com|argon2/);
  });

  it('should blank the value PostgreSQL quotes in a data exception, in the message and the stack', () => {
    const driverError = databaseError('22P02', 'invalid input syntax for type uuid: "a-secret-value"');
    const line = logged(new QueryFailedError('SELECT 1 WHERE id = $1', ['a-secret-value'], driverError));
    expect(line.message).toBe('invalid input syntax for type uuid: "…"');
    expect(line.stack).toMatch(/^QueryFailedError: invalid input syntax for type uuid: "…"\n/);
    expect(JSON.stringify(line)).not.toContain('a-secret-value');
  });

  it('should keep the codes of a network error, and each error of an AggregateError the same way', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
      code: 'ECONNREFUSED',
      errno: -111,
      syscall: 'connect',
      address: '127.0.0.1',
      port: 5432,
      config: { password: 'db-password' },
    });
    const line = logged(new AggregateError([refused], 'all attempts failed'));
    expect(line.aggregateErrors).toEqual([
      {
        type: 'Error',
        message: 'connect ECONNREFUSED 127.0.0.1:5432',
        stack: expect.any(String),
        code: 'ECONNREFUSED',
        errno: -111,
        syscall: 'connect',
        address: '127.0.0.1',
        port: 5432,
      },
    ]);
    expect(JSON.stringify(line)).not.toContain('db-password');
  });

  it('should drop the raw body a body-parser error carries', () => {
    const error = Object.assign(new Error('Unexpected token'), { type: 'entity.parse.failed', body: '{"password":"x' });
    expect(JSON.stringify(logged(error))).not.toContain('password');
  });

  it('should pass what is not an error through', () => {
    expect(redactError('text')).toBe('text');
    expect(redactError(null)).toBeNull();
  });
});

describe('redactUrl', () => {
  it('should replace the values of credential-bearing query parameters only', () => {
    expect(redactUrl('/ws/lists/1?ticket=abc&since=4&token=t')).toBe(
      '/ws/lists/1?ticket=[redacted]&since=4&token=[redacted]',
    );
    expect(redactUrl('/health')).toBe('/health');
  });
});

import { ServiceUnavailableException, UnauthorizedException } from '@nestjs/common';
import { DatabaseError } from 'pg';
import { QueryFailedError, QueryRunnerAlreadyReleasedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';
import { isDatabaseUnavailable } from './database-unavailable';

/** An error as node-postgres raises it for a server answer with this SQLSTATE. */
function sqlState(code: string, message = 'server error'): DatabaseError {
  const error = new DatabaseError(message, 0, 'error');
  error.code = code;
  return error;
}

function socketError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code });
}

describe('isDatabaseUnavailable', () => {
  it.each([
    ['connection refused', socketError('ECONNREFUSED')],
    ['connection reset', socketError('ECONNRESET')],
    ['connect timed out', socketError('ETIMEDOUT')],
    ['host unreachable', socketError('EHOSTUNREACH')],
    ['57P01 admin_shutdown (pg_terminate_backend, restart)', sqlState('57P01')],
    ['57P03 cannot_connect_now (starting up)', sqlState('57P03')],
    ['53300 too_many_connections', sqlState('53300')],
    ['08006 connection_failure', sqlState('08006')],
    ['08P01 protocol_violation', sqlState('08P01')],
    ['a connection that ended', new Error('Connection terminated unexpectedly')],
    ['a connect that timed out in the pool', new Error('Connection terminated due to connection timeout')],
    ['no pooled connection in time', new Error('timeout exceeded when trying to connect')],
    ['a client broken earlier', new Error('Client has encountered a connection error and is not queryable')],
  ])('should recognise %s', (_what, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it('should look inside what TypeORM wraps around the driver error', () => {
    const failed = new QueryFailedError('SELECT 1', [], new Error('Connection terminated unexpectedly'));
    expect(isDatabaseUnavailable(failed)).toBe(true);
    expect(isDatabaseUnavailable(new QueryFailedError('SELECT 1', [], sqlState('57P01')))).toBe(true);
  });

  it('should recognise a unit of work whose connection died under it (TypeORM released it)', () => {
    expect(isDatabaseUnavailable(new QueryRunnerProviderAlreadyReleasedError())).toBe(true);
  });

  it('should count the commit of a unit of work whose connection a restart ended (query runner released)', () => {
    // Seen in the faults suite (2-database-restart): the server terminated the connection
    // (57P01) during the unit of work, TypeORM released its query runner, and the COMMIT then
    // threw this; PostgreSQL had rolled the transaction back, so "try again" is the truth.
    expect(isDatabaseUnavailable(new QueryRunnerAlreadyReleasedError())).toBe(true);
  });

  it('should look inside an AggregateError (one refused attempt per address) and a cause', () => {
    const refusedEverywhere = new AggregateError([socketError('ECONNREFUSED'), socketError('ECONNREFUSED')]);
    expect(isDatabaseUnavailable(refusedEverywhere)).toBe(true);
    expect(isDatabaseUnavailable(new Error('lookup failed', { cause: socketError('ECONNRESET') }))).toBe(true);
  });

  it.each([
    ['42P01 undefined_table', sqlState('42P01', 'relation "items" does not exist')],
    ['23505 unique_violation', sqlState('23505')],
    ['57014 query_canceled (a statement timeout: the server answered)', sqlState('57014')],
    ['40001 serialization_failure', sqlState('40001')],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['an HTTP exception', new UnauthorizedException()],
    ['a 503 thrown on purpose', new ServiceUnavailableException()],
    ['a string', 'ECONNREFUSED'],
    ['null', null],
  ])('should not take %s for an unreachable database', (_what, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });

  it('should not loop on an error that is its own cause', () => {
    const error = new Error('odd') as Error & { cause?: unknown };
    error.cause = error;
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});

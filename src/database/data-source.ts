import { Logger } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { DataSource, DataSourceOptions } from 'typeorm';
import { Foundation1763750000000 } from '../../migrations/1763750000000-Foundation';
import { Realtime1763836400000 } from '../../migrations/1763836400000-Realtime';
import { StoresTrips1763922800000 } from '../../migrations/1763922800000-StoresTrips';
import { ReceiptFiles1764100000001 } from '../../migrations/1764100000001-ReceiptFiles';
import { IdempotencyLease1764100000002 } from '../../migrations/1764100000002-IdempotencyLease';
import { InvitesAndResume1764100000003 } from '../../migrations/1764100000003-InvitesAndResume';
import { Throttles1764200000001 } from '../../migrations/1764200000001-Throttles';
import { StorePairsBounded1764200000002 } from '../../migrations/1764200000002-StorePairsBounded';
import { QuotaIndexes1764200000003 } from '../../migrations/1764200000003-QuotaIndexes';
import { SealedSecrets1764200000004 } from '../../migrations/1764200000004-SealedSecrets';
import { StoreProductNames1764300000001 } from '../../migrations/1764300000001-StoreProductNames';
import { ClientTimes1764300000002 } from '../../migrations/1764300000002-ClientTimes';
import { LegacyAccounts1764500000001 } from '../../migrations/1764500000001-LegacyAccounts';
import { AccountDeletion1764600000001 } from '../../migrations/1764600000001-AccountDeletion';
import { ItemWriteFunctions1764600000002 } from '../../migrations/1764600000002-ItemWriteFunctions';
import { StoreEntity } from '../stores/store.entity';
import { TripEntity, TripItemEntity } from '../trips/trip.entity';
import { DatabaseConnection, externalDatabase } from '../config/database.config';
import { PasswordResetCodeEntity } from '../auth/password-reset-code.entity';
import { RefreshTokenEntity, SessionEntity } from '../sessions/session.entity';
import { ItemEntity } from '../items/item.entity';
import { ListEntity, ListMemberEntity } from '../lists/list.entity';
import { UserEntity } from '../users/user.entity';

export const ENTITIES = [
  UserEntity,
  SessionEntity,
  RefreshTokenEntity,
  PasswordResetCodeEntity,
  ListEntity,
  ListMemberEntity,
  ItemEntity,
  StoreEntity,
  TripEntity,
  TripItemEntity,
];

export const MIGRATIONS = [
  Foundation1763750000000,
  Realtime1763836400000,
  StoresTrips1763922800000,
  ReceiptFiles1764100000001,
  IdempotencyLease1764100000002,
  InvitesAndResume1764100000003,
  Throttles1764200000001,
  StorePairsBounded1764200000002,
  QuotaIndexes1764200000003,
  SealedSecrets1764200000004,
  StoreProductNames1764300000001,
  ClientTimes1764300000002,
  LegacyAccounts1764500000001,
  AccountDeletion1764600000001,
  ItemWriteFunctions1764600000002,
];

export interface PoolSettings {
  poolSize: number;
  /** Longest wait for a new connection; a server that never answers fails the request this fast. */
  connectTimeoutMs: number;
}

const poolLogger = new Logger('Database');

function ignoreConnectionError(): void {}

/** One definition of the connection, shared by the app, the tests and the TypeORM CLI. */
export function dataSourceOptions(
  connection: DatabaseConnection,
  pool: PoolSettings = { poolSize: 10, connectTimeoutMs: 5000 },
): DataSourceOptions {
  return {
    type: 'postgres',
    url: connection.url,
    ssl: connection.ssl,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'all',
    synchronize: false,
    // Failed queries reach the exception filter, which logs them as JSON through pino; TypeORM's
    // console logger would add plain-text lines (with the query parameters) to stdout.
    // DEBUG=typeorm:* shows TypeORM's own logging when wanted.
    logging: ['error'],
    logger: 'debug',
    // Keepalive lets the OS notice a connection whose server vanished without a word.
    extra: {
      max: pool.poolSize,
      connectionTimeoutMillis: pool.connectTimeoutMs,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      application_name: 'cartsync',
      // A connection the server ends while the app holds it between queries (the readiness
      // check's lease, a query runner between its statements) emits 'error' with nobody
      // listening, which would end the process. Every client keeps this listener for life:
      // its holder learns of the loss from the next query, which fails, and the pool reports
      // idle ones through poolErrorHandler below.
      onConnect: (client: PoolClient) => {
        client.on('error', ignoreConnectionError);
      },
    },
    // An idle connection the server ended (restart, pg_terminate_backend, network): the pool
    // drops it and opens another when needed; a warning is all it deserves.
    poolErrorHandler: (error: Error) => poolLogger.warn(`idle database connection lost: ${error.message}`),
  };
}

/** Several instances may boot at once: one applies the migrations while the others wait. */
export async function migrate(dataSource: DataSource): Promise<void> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query(`SELECT pg_advisory_lock(hashtext('cartsync:migrations'))`);
    await dataSource.runMigrations({ transaction: 'all' });
  } finally {
    await runner.query(`SELECT pg_advisory_unlock(hashtext('cartsync:migrations'))`).catch(() => undefined);
    await runner.release();
  }
}

/** For the TypeORM CLI (`npm run migration:run`): needs DATABASE_URL or DB_* set. */
const cliConnection = externalDatabase();
export default new DataSource(
  dataSourceOptions(cliConnection ?? { url: 'postgres://set-DATABASE_URL-for-the-typeorm-cli', ssl: false }),
);

import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Quotas count under a lock on every admitted write: a user's open sockets (on every
 * instance) and a list's receipt bytes need an index each to stay cheap.
 */
export class QuotaIndexes1764200000003 implements MigrationInterface {
  name = 'QuotaIndexes1764200000003';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE INDEX ws_connections_user_id_idx ON ws_connections (user_id)`);
    await db.query(`CREATE INDEX receipt_files_list_id_idx ON receipt_files (list_id)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX receipt_files_list_id_idx`);
    await db.query(`DROP INDEX ws_connections_user_id_idx`);
  }
}

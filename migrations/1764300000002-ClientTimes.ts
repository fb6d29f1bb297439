import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Part B of the contract: a phone may say when a check or a trip really happened
 * (`checked_at`, `completed_at` hold that time); the server's receive time is kept beside
 * it. Rows from before were stamped by the server: their receive time is the same.
 */
export class ClientTimes1764300000002 implements MigrationInterface {
  name = 'ClientTimes1764300000002';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE items ADD COLUMN checked_received_at timestamptz`);
    await db.query(`UPDATE items SET checked_received_at = checked_at WHERE checked_at IS NOT NULL`);
    await db.query(`ALTER TABLE trip_items ADD COLUMN checked_received_at timestamptz`);
    await db.query(`UPDATE trip_items SET checked_received_at = checked_at WHERE checked_at IS NOT NULL`);
    await db.query(`ALTER TABLE trips ADD COLUMN received_at timestamptz NOT NULL DEFAULT now()`);
    await db.query(`UPDATE trips SET received_at = completed_at`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE trips DROP COLUMN received_at`);
    await db.query(`ALTER TABLE trip_items DROP COLUMN checked_received_at`);
    await db.query(`ALTER TABLE items DROP COLUMN checked_received_at`);
  }
}

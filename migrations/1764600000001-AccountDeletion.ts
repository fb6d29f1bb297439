import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 13, `DELETE /auth/me`: every column that names a user follows the account when it is
 * deleted. `trip_items.checked_by` was the one without a foreign key: a deleted account's id
 * would have stayed in the bought items of the lists it shared. It now refers to `users` and
 * is emptied with the account (SET NULL, as `items.checked_by` and `trips.completed_by`), found
 * through an index of its own (a deletion does not read the whole trip history). Ids that name
 * no account today (none should) are emptied first.
 */
export class AccountDeletion1764600000001 implements MigrationInterface {
  name = 'AccountDeletion1764600000001';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      UPDATE trip_items t SET checked_by = NULL
       WHERE checked_by IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = t.checked_by)`);
    await db.query(`CREATE INDEX trip_items_checked_by_idx ON trip_items (checked_by) WHERE checked_by IS NOT NULL`);
    await db.query(`
      ALTER TABLE trip_items ADD CONSTRAINT trip_items_checked_by_fkey
        FOREIGN KEY (checked_by) REFERENCES users (id) ON DELETE SET NULL`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE trip_items DROP CONSTRAINT trip_items_checked_by_fkey`);
    await db.query(`DROP INDEX trip_items_checked_by_idx`);
  }
}

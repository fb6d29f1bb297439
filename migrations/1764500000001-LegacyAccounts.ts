import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 11, taking over the old server's households (`npm run import:legacy`):
 * - `users.legacy_imported_at`: when the account was imported (null: created here);
 * - `users.legacy_tokens_before`: the old server's tokens issued before this instant are
 *   accepted (with `LEGACY_JWT_SECRET`); set by the import, cleared by "sign out everywhere"
 *   and a password reset, so an old token never bound to a session dies with them;
 * - `sessions.legacy_token_digest`: the keyed digest of the old token a session was bound to on
 *   its first use (the token is never stored), so a revoked session keeps that token revoked;
 * - `legacy_ids`: the old server's id of every imported row and ours (kept when it was a UUID),
 *   so a second run finds what the first wrote and changes nothing.
 */
export class LegacyAccounts1764500000001 implements MigrationInterface {
  name = 'LegacyAccounts1764500000001';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE users ADD COLUMN legacy_imported_at timestamptz`);
    await db.query(`ALTER TABLE users ADD COLUMN legacy_tokens_before timestamptz`);
    await db.query(`ALTER TABLE sessions ADD COLUMN legacy_token_digest text`);
    await db.query(
      `CREATE UNIQUE INDEX sessions_legacy_token_digest ON sessions (legacy_token_digest) WHERE legacy_token_digest IS NOT NULL`,
    );
    await db.query(`
      CREATE TABLE legacy_ids (
        kind text NOT NULL,
        legacy_id text NOT NULL,
        id uuid NOT NULL,
        imported_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (kind, legacy_id)
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE legacy_ids`);
    await db.query(`DROP INDEX sessions_legacy_token_digest`);
    await db.query(`ALTER TABLE sessions DROP COLUMN legacy_token_digest`);
    await db.query(`ALTER TABLE users DROP COLUMN legacy_tokens_before`);
    await db.query(`ALTER TABLE users DROP COLUMN legacy_imported_at`);
  }
}

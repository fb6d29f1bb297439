import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Invite codes that fit the app (`XXX-XXX`) and expire; each member's join point in the
 * list's log; the session that made each event (no echo to the app's own connection); and
 * the last seq each session's socket provably received (resume without `since`).
 */
export class InvitesAndResume1764100000003 implements MigrationInterface {
  name = 'InvitesAndResume1764100000003';

  async up(db: QueryRunner): Promise<void> {
    // Existing 9-character codes do not fit the app: expired now, replaced on the next member's read.
    await db.query(`ALTER TABLE lists ADD COLUMN invite_expires_at timestamptz NOT NULL DEFAULT now()`);
    await db.query(`ALTER TABLE list_members ADD COLUMN joined_seq bigint NOT NULL DEFAULT 0`);
    await db.query(`ALTER TABLE list_events ADD COLUMN actor_session uuid`);
    await db.query(`
      CREATE TABLE ws_acks (
        session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        list_id    uuid NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
        seq        bigint NOT NULL,
        acked_at   timestamptz NOT NULL,
        PRIMARY KEY (session_id, list_id)
      )`);
    await db.query(`CREATE INDEX ws_acks_acked_at_idx ON ws_acks (acked_at)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE ws_acks`);
    await db.query(`ALTER TABLE list_events DROP COLUMN actor_session`);
    await db.query(`ALTER TABLE list_members DROP COLUMN joined_seq`);
    await db.query(`ALTER TABLE lists DROP COLUMN invite_expires_at`);
  }
}

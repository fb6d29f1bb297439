import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Secrets the server must read back are no longer kept in clear (docs/SECURITY.md):
 *
 * - `idempotency_keys.response` (whole answers: WebSocket tickets, invite codes) becomes
 *   `response_sealed`, AES-256-GCM under a key derived from JWT_SECRET. SQL has no such key,
 *   so the stored answers are dropped; their rows stay, so a retry of one of those requests
 *   is refused (409) instead of being run a second time. Claims still in flight are freed:
 *   their requests can no longer store a plain answer, so they roll back.
 * - `lists.invite_code` gets a keyed digest (the join lookup) and a sealed copy (shown to
 *   members). The plain column stays, nullable, for the codes of existing lists: the server
 *   seals them at boot (ListsService), then empties it; a later migration drops it.
 * - The codes `list:updated` events carried in the log are dropped from their payloads
 *   (members read the current code with the list); new events keep theirs sealed.
 */
export class SealedSecrets1764200000004 implements MigrationInterface {
  name = 'SealedSecrets1764200000004';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`DELETE FROM idempotency_keys WHERE status_code IS NULL`);
    await db.query(`ALTER TABLE idempotency_keys ADD COLUMN response_sealed bytea`);
    await db.query(`ALTER TABLE idempotency_keys DROP COLUMN response`);

    await db.query(`ALTER TABLE lists ADD COLUMN invite_code_digest text, ADD COLUMN invite_code_sealed bytea`);
    await db.query(`ALTER TABLE lists ALTER COLUMN invite_code DROP NOT NULL`);
    await db.query(`ALTER TABLE lists ADD CONSTRAINT lists_invite_code_digest_key UNIQUE (invite_code_digest)`);

    await db.query(
      `UPDATE list_events SET payload = payload - 'inviteCode' WHERE type = 'list:updated' AND payload ? 'inviteCode'`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    // The sealed forms cannot be opened in SQL. Codes: each list gets a placeholder that has
    // already expired, so the previous version gives it a fresh code on the next read.
    await db.query(
      `UPDATE lists SET invite_code = id::text, invite_expires_at = LEAST(invite_expires_at, now()) WHERE invite_code IS NULL`,
    );
    await db.query(`ALTER TABLE lists ALTER COLUMN invite_code SET NOT NULL`);
    await db.query(`ALTER TABLE lists DROP CONSTRAINT lists_invite_code_digest_key`);
    await db.query(`ALTER TABLE lists DROP COLUMN invite_code_digest, DROP COLUMN invite_code_sealed`);
    await db.query(
      `UPDATE list_events SET payload = payload - 'inviteCode' WHERE type = 'list:updated' AND payload ? 'inviteCode'`,
    );
    // Stored answers cannot be replayed by the previous version: those keys are forgotten.
    await db.query(`DELETE FROM idempotency_keys WHERE response_sealed IS NOT NULL OR status_code IS NULL`);
    await db.query(`ALTER TABLE idempotency_keys ADD COLUMN response jsonb`);
    await db.query(`ALTER TABLE idempotency_keys DROP COLUMN response_sealed`);
  }
}

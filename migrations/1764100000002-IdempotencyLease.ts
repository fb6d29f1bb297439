import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A claimed Idempotency-Key is held until `locked_until`: a claim whose request neither
 * finished nor freed it (database down, instance gone) can be taken again after that. The
 * default covers claims made by instances that predate the lease, during a rolling deploy.
 */
export class IdempotencyLease1764100000002 implements MigrationInterface {
  name = 'IdempotencyLease1764100000002';

  async up(db: QueryRunner): Promise<void> {
    await db.query(
      `ALTER TABLE idempotency_keys ADD COLUMN locked_until timestamptz NOT NULL DEFAULT now() + interval '30 seconds'`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE idempotency_keys DROP COLUMN locked_until`);
  }
}

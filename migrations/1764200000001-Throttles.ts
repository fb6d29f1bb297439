import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Throttle counters move to `rate-limiter-flexible`'s PostgreSQL store: its table layout
 * (key, points, expire in epoch milliseconds), created here so the app never issues DDL at
 * run time (`tableCreated: true`). Keys are a limit name and a keyed hash of the subject:
 * no email or address is stored. `expire` is indexed for the periodic purge of ended windows.
 * The old fixed-window table goes: its rows held emails in clear and were never purged; the
 * counters in it are dropped, not carried over (the longest window is an hour).
 */
export class Throttles1764200000001 implements MigrationInterface {
  name = 'Throttles1764200000001';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE rate_limits`);
    await db.query(`
      CREATE TABLE throttles (
        key    varchar(255) PRIMARY KEY,
        points integer NOT NULL DEFAULT 0,
        expire bigint
      )`);
    await db.query(`CREATE INDEX throttles_expire_idx ON throttles (expire)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE throttles`);
    await db.query(`
      CREATE TABLE rate_limits (
        key          text PRIMARY KEY,
        hits         integer NOT NULL,
        window_start timestamptz NOT NULL
      )`);
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

export class Realtime1763836400000 implements MigrationInterface {
  name = 'Realtime1763836400000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE list_events (
        list_id    uuid NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
        seq        bigint NOT NULL,
        type       text NOT NULL,
        payload    jsonb NOT NULL,
        actor_id   uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (list_id, seq)
      )`);
    await db.query(`CREATE INDEX list_events_created_at_idx ON list_events (created_at)`);
    await db.query(`
      CREATE TABLE ws_tickets (
        ticket_hash text PRIMARY KEY,
        user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        session_id  uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        list_id     uuid NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
        expires_at  timestamptz NOT NULL
      )`);
    await db.query(`
      CREATE TABLE ws_connections (
        id           uuid PRIMARY KEY,
        instance_id  uuid NOT NULL,
        list_id      uuid NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
        user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        connected_at timestamptz NOT NULL DEFAULT now(),
        seen_at      timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX ws_connections_list_id_idx ON ws_connections (list_id)`);
    await db.query(`CREATE INDEX ws_connections_instance_id_idx ON ws_connections (instance_id)`);
    await db.query(`
      CREATE TABLE idempotency_keys (
        scope        text NOT NULL,
        key          text NOT NULL,
        request_hash text NOT NULL,
        status_code  integer,
        response     jsonb,
        created_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (scope, key)
      )`);
    await db.query(`CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at)`);
  }

  async down(db: QueryRunner): Promise<void> {
    for (const table of ['idempotency_keys', 'ws_connections', 'ws_tickets', 'list_events']) {
      await db.query(`DROP TABLE ${table}`);
    }
  }
}

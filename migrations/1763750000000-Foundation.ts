import { MigrationInterface, QueryRunner } from 'typeorm';

export class Foundation1763750000000 implements MigrationInterface {
  name = 'Foundation1763750000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE users (
        id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email         text NOT NULL,
        name          text NOT NULL,
        password_hash text NOT NULL,
        created_at    timestamptz NOT NULL DEFAULT now(),
        updated_at    timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT users_email_key UNIQUE (email)
      )`);
    await db.query(`
      CREATE TABLE sessions (
        id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        user_agent   text,
        ip           text,
        created_at   timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz NOT NULL DEFAULT now(),
        expires_at   timestamptz NOT NULL,
        revoked_at   timestamptz
      )`);
    await db.query(`CREATE INDEX sessions_user_id_idx ON sessions (user_id)`);
    await db.query(`
      CREATE TABLE refresh_tokens (
        token_hash text PRIMARY KEY,
        session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        used_at    timestamptz
      )`);
    await db.query(`CREATE INDEX refresh_tokens_session_id_idx ON refresh_tokens (session_id)`);
    await db.query(`
      CREATE TABLE password_reset_codes (
        email      text PRIMARY KEY,
        user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        code_hash  text NOT NULL,
        attempts   integer NOT NULL DEFAULT 0,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`
      CREATE TABLE lists (
        id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name        text NOT NULL,
        invite_code text NOT NULL,
        version     integer NOT NULL DEFAULT 1,
        seq         bigint NOT NULL DEFAULT 0,
        created_at  timestamptz NOT NULL DEFAULT now(),
        updated_at  timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT lists_invite_code_key UNIQUE (invite_code)
      )`);
    await db.query(`
      CREATE TABLE list_members (
        list_id   uuid NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
        user_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        role      text NOT NULL CHECK (role IN ('owner', 'member')),
        joined_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (list_id, user_id)
      )`);
    await db.query(`CREATE INDEX list_members_user_id_idx ON list_members (user_id)`);
    await db.query(`
      CREATE TABLE items (
        id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        list_id    uuid NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
        name       text NOT NULL,
        quantity   double precision NOT NULL DEFAULT 1 CHECK (quantity > 0),
        unit       text NOT NULL DEFAULT '×',
        note       text,
        category   text,
        checked    boolean NOT NULL DEFAULT false,
        checked_by uuid REFERENCES users (id) ON DELETE SET NULL,
        checked_at timestamptz,
        added_by   uuid REFERENCES users (id) ON DELETE SET NULL,
        version    integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX items_list_id_created_at_idx ON items (list_id, created_at, id)`);
    await db.query(`
      CREATE TABLE rate_limits (
        key          text PRIMARY KEY,
        hits         integer NOT NULL,
        window_start timestamptz NOT NULL
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    for (const table of [
      'rate_limits',
      'items',
      'list_members',
      'lists',
      'password_reset_codes',
      'refresh_tokens',
      'sessions',
      'users',
    ]) {
      await db.query(`DROP TABLE ${table}`);
    }
  }
}

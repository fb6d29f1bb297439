import { MigrationInterface, QueryRunner } from 'typeorm';

export class StoresTrips1763922800000 implements MigrationInterface {
  name = 'StoresTrips1763922800000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE stores (
        id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        list_id      uuid NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
        name         text NOT NULL,
        name_key     text NOT NULL,
        trip_count   integer NOT NULL DEFAULT 0,
        posted_order jsonb,
        posted_by    uuid REFERENCES users (id) ON DELETE SET NULL,
        posted_at    timestamptz,
        created_at   timestamptz NOT NULL DEFAULT now(),
        updated_at   timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT stores_list_name_key UNIQUE (list_id, name_key)
      )`);
    await db.query(`
      CREATE TABLE store_pairs (
        store_id uuid NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
        a        text NOT NULL,
        b        text NOT NULL,
        ab       double precision NOT NULL,
        ba       double precision NOT NULL,
        trip     integer NOT NULL,
        PRIMARY KEY (store_id, a, b),
        CHECK (a < b)
      )`);
    await db.query(`
      CREATE TABLE trips (
        id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        list_id      uuid NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
        store_id     uuid REFERENCES stores (id) ON DELETE SET NULL,
        store_name   text,
        completed_by uuid REFERENCES users (id) ON DELETE SET NULL,
        completed_at timestamptz NOT NULL,
        item_count   integer NOT NULL,
        receipt_key  text,
        receipt_type text
      )`);
    await db.query(`CREATE INDEX trips_list_id_completed_at_idx ON trips (list_id, completed_at DESC, id DESC)`);
    await db.query(`
      CREATE TABLE trip_items (
        trip_id     uuid NOT NULL REFERENCES trips (id) ON DELETE CASCADE,
        item_id     uuid NOT NULL,
        product_key text NOT NULL,
        name        text NOT NULL,
        quantity    double precision NOT NULL,
        unit        text NOT NULL,
        category    text,
        checked_by  uuid,
        checked_at  timestamptz,
        PRIMARY KEY (trip_id, item_id)
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    for (const table of ['trip_items', 'trips', 'store_pairs', 'stores']) await db.query(`DROP TABLE ${table}`);
  }
}

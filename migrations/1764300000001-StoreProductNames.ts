import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The most recent spelling of each product a store has learned (`key` is its productKey), so
 * `learnedOrder` can name products that are not on the list now. Bounded like the pairs: a
 * store keeps names only for the products it still has evidence about
 * (`StoresRepository.forgetAllBut`). Existing stores start without names; their products are
 * keyed by the product key until a trip or posted order spells them again.
 */
export class StoreProductNames1764300000001 implements MigrationInterface {
  name = 'StoreProductNames1764300000001';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE store_products (
        store_id uuid NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
        key      text NOT NULL,
        name     text NOT NULL,
        PRIMARY KEY (store_id, key)
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE store_products`);
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A store's evidence is kept for its STORE_LEARNED_PRODUCTS most recently walked products
 * (default 100; each learned trip forgets the rest, `StoresRepository.forgetAllBut`): stores
 * learned before that rule are brought within it once, so every read of a store's pairs is
 * bounded (100²/2 rows). Forgotten evidence cannot come back: `down` leaves the pairs as
 * they are (the schema is unchanged).
 */
export class StorePairsBounded1764200000002 implements MigrationInterface {
  name = 'StorePairsBounded1764200000002';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      WITH products AS (
        SELECT store_id, key, max(trip) AS trip
          FROM (SELECT store_id, a AS key, trip FROM store_pairs UNION ALL SELECT store_id, b, trip FROM store_pairs) k
         GROUP BY store_id, key
      ), forgotten AS (
        SELECT store_id, key
          FROM (SELECT store_id, key,
                       row_number() OVER (PARTITION BY store_id ORDER BY trip DESC, key COLLATE "C") AS recency
                  FROM products) ranked
         WHERE recency > 100
      )
      DELETE FROM store_pairs p USING forgotten f
       WHERE p.store_id = f.store_id AND (p.a = f.key OR p.b = f.key)`);
  }

  async down(): Promise<void> {
    // Nothing to undo in the schema; the forgotten pairs are gone.
  }
}

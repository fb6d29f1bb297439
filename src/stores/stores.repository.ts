import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Injectable } from '@nestjs/common';
import { productKey } from '../common/product-key';
import { StoreEntity } from './store.entity';
import { PairWeight } from './walking-order';

/** A stored pair with the store's trip number of its last update. */
export type StoredPair = PairWeight & { trip: number };

/**
 * One store's stored pairs in columns: pair k is `a[k]` < `b[k]` (product keys) with
 * evidence `ab[k]`, `ba[k]`, last updated in store trip `trip[k]`.
 */
export interface StoreEvidence {
  storeId: string;
  a: string[];
  b: string[];
  ab: number[];
  ba: number[];
  trip: number[];
}

/** The pairs of one store's evidence, as the learning core takes them. */
export function storedPairs(evidence: StoreEvidence | undefined): StoredPair[] {
  if (!evidence) return [];
  const { a, b, ab, ba, trip } = evidence;
  return a.map((key, k) => ({ a: key, b: b[k], ab: ab[k], ba: ba[k], trip: trip[k] }));
}

/** The one writer of `stores` and `store_pairs`; every method takes part in the caller's transaction. */
@Injectable()
export class StoresRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  private get stores() {
    return this.txHost.tx.getRepository(StoreEntity);
  }

  inList(listId: string): Promise<StoreEntity[]> {
    return this.stores.find({ where: { listId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  findInList(listId: string, storeId: string): Promise<StoreEntity | null> {
    return this.stores.findOneBy({ id: storeId, listId });
  }

  /** The store under a row lock until the transaction ends (a trip learning into it). */
  lockInList(listId: string, storeId: string): Promise<StoreEntity | null> {
    return this.stores.findOne({ where: { id: storeId, listId }, lock: { mode: 'pessimistic_write' } });
  }

  /** A new store; null when the list already has one of that name (case-insensitively). */
  async create(listId: string, name: string): Promise<StoreEntity | null> {
    const inserted = await this.stores
      .createQueryBuilder()
      .insert()
      .values({ listId, name, nameKey: productKey(name), tripCount: 0 })
      .orIgnore()
      .returning(['id'])
      .execute();
    const id = (inserted.raw as { id: string }[])[0]?.id;
    return id ? this.stores.findOneBy({ id }) : null;
  }

  /** Keeps the order the app posts just before completing a trip (product keys), for that trip to use once. */
  async postOrder(listId: string, storeId: string, keys: string[], actorId: string, now: Date): Promise<boolean> {
    const result = await this.stores.update(
      { id: storeId, listId },
      { postedOrder: keys, postedBy: actorId, postedAt: now },
    );
    return (result.affected ?? 0) > 0;
  }

  /** One more completed trip; the posted order is used up. */
  async countTrip(store: StoreEntity): Promise<StoreEntity> {
    const tripCount = store.tripCount + 1;
    await this.stores.update({ id: store.id }, { tripCount, postedOrder: null, postedBy: null, postedAt: null });
    return { ...store, tripCount, postedOrder: null, postedBy: null, postedAt: null };
  }

  /**
   * Each store's pairs among these products (both ends in `keys`): bounded, since a store
   * keeps evidence for at most STORE_LEARNED_PRODUCTS products (`forgetAllBut`). One row per
   * store that has any, its pairs in columns of one JSON value (`StoreEvidence`), parsed
   * natively store by store rather than as a row and an object per pair.
   */
  async pairsAmong(storeIds: string[], keys: string[]): Promise<StoreEvidence[]> {
    if (storeIds.length === 0 || keys.length < 2) return [];
    return this.evidence(storeIds, 'AND a = ANY($2::text[]) AND b = ANY($2::text[])', [keys]);
  }

  /**
   * Every pair the stores have learned: bounded like `pairsAmong` (at most
   * STORE_LEARNED_PRODUCTS products, so STORE_LEARNED_PRODUCTS²/2 pairs, per store).
   */
  async pairsOf(storeIds: string[]): Promise<StoreEvidence[]> {
    if (storeIds.length === 0) return [];
    return this.evidence(storeIds, '', []);
  }

  private async evidence(storeIds: string[], filter: string, params: unknown[]): Promise<StoreEvidence[]> {
    const rows: { storeId: string; evidence: Omit<StoreEvidence, 'storeId'> }[] = await this.txHost.tx.query(
      `SELECT store_id AS "storeId",
              json_build_object('a', json_agg(a), 'b', json_agg(b), 'ab', json_agg(ab), 'ba', json_agg(ba),
                                'trip', json_agg(trip)) AS evidence
         FROM store_pairs
        WHERE store_id = ANY($1::uuid[]) ${filter}
        GROUP BY store_id`,
      [storeIds, ...params],
    );
    return rows.map((row) => ({ storeId: row.storeId, ...row.evidence }));
  }

  /** The most recent spelling of each product the stores learned, per store: key → name. */
  async spellingsOf(storeIds: string[]): Promise<Map<string, Map<string, string>>> {
    const result = new Map<string, Map<string, string>>();
    if (storeIds.length === 0) return result;
    const rows: { storeId: string; key: string; name: string }[] = await this.txHost.tx.query(
      `SELECT store_id AS "storeId", key, name FROM store_products WHERE store_id = ANY($1::uuid[])`,
      [storeIds],
    );
    for (const row of rows) {
      let names = result.get(row.storeId);
      if (!names) result.set(row.storeId, (names = new Map<string, string>()));
      names.set(row.key, row.name);
    }
    return result;
  }

  /** Remembers these spellings as the products' most recent ones (the last of a key wins). */
  async saveSpellings(storeId: string, names: string[]): Promise<void> {
    const byKey = new Map<string, string>();
    for (const name of names) {
      const key = productKey(name);
      if (key !== '') byKey.set(key, name);
    }
    if (byKey.size === 0) return;
    await this.txHost.tx.query(
      `INSERT INTO store_products (store_id, key, name)
       SELECT $1, * FROM unnest($2::text[], $3::text[])
       ON CONFLICT (store_id, key) DO UPDATE SET name = excluded.name`,
      [storeId, [...byKey.keys()], [...byKey.values()]],
    );
  }

  /**
   * Forgets the store's evidence about all but its `keep` products seen in the most recent
   * trips (ties by key), and the spellings of the forgotten ones: a store's pairs stay within
   * keep²/2 rows and its spellings within `keep`, whatever its history.
   */
  async forgetAllBut(storeId: string, keep: number): Promise<void> {
    await this.txHost.tx.query(
      `WITH products AS (
         SELECT key, max(trip) AS trip
           FROM (SELECT a AS key, trip FROM store_pairs WHERE store_id = $1
                 UNION ALL SELECT b, trip FROM store_pairs WHERE store_id = $1) k
          GROUP BY key
       ), forgotten AS (
         SELECT key FROM products ORDER BY trip DESC, key COLLATE "C" OFFSET $2
       )
       DELETE FROM store_pairs
        WHERE store_id = $1 AND (a IN (SELECT key FROM forgotten) OR b IN (SELECT key FROM forgotten))`,
      [storeId, keep],
    );
    // Spellings only of the products still learned.
    await this.txHost.tx.query(
      `DELETE FROM store_products
        WHERE store_id = $1
          AND key NOT IN (SELECT a FROM store_pairs WHERE store_id = $1 UNION SELECT b FROM store_pairs WHERE store_id = $1)`,
      [storeId],
    );
  }

  /** Writes back exactly the pairs a trip observed. */
  async savePairs(storeId: string, pairs: StoredPair[]): Promise<void> {
    if (pairs.length === 0) return;
    await this.txHost.tx.query(
      `INSERT INTO store_pairs (store_id, a, b, ab, ba, trip)
       SELECT $1, * FROM unnest($2::text[], $3::text[], $4::float8[], $5::float8[], $6::int[])
       ON CONFLICT (store_id, a, b) DO UPDATE SET ab = excluded.ab, ba = excluded.ba, trip = excluded.trip`,
      [
        storeId,
        pairs.map((p) => p.a),
        pairs.map((p) => p.b),
        pairs.map((p) => p.ab),
        pairs.map((p) => p.ba),
        pairs.map((p) => p.trip),
      ],
    );
  }
}

import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Injectable } from '@nestjs/common';
import { productKey } from '../common/product-key';
import { StoreEntity } from './store.entity';
import { PairWeight } from './walking-order';

/** A stored pair with the store's trip number of its last update. */
export type StoredPair = PairWeight & { trip: number };

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

  /** The stores' pairs among these products (both ends in `keys`). */
  async pairsAmong(storeIds: string[], keys: string[]): Promise<(StoredPair & { storeId: string })[]> {
    if (storeIds.length === 0 || keys.length < 2) return [];
    return this.txHost.tx.query(
      `SELECT store_id AS "storeId", a, b, ab, ba, trip FROM store_pairs
        WHERE store_id = ANY($1::uuid[]) AND a = ANY($2::text[]) AND b = ANY($2::text[])`,
      [storeIds, keys],
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

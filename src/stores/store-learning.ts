import { EntityManager } from 'typeorm';
import { productKey } from '../common/product-key';
import { PairWeight, TripEvidence, learnTrip, rankWalkingOrder } from './walking-order';
import { StoreResponse } from './dto/store.response';
import { StoreEntity } from './store.entity';

/** What the learned order is computed over: the items on the list now. */
export interface ListItemName {
  name: string;
}

/**
 * Learns one trip into the store's pairs, inside the caller's transaction: reads the stored
 * pairs among the trip's products, runs `learnTrip` (per-shopper routes, bulk ticks dropped,
 * the posted order only as a fallback, outliers down-weighted, evidence aged per store trip)
 * and upserts exactly the pairs the trip observed — work proportional to the trip.
 */
export async function learnTripInStore(tx: EntityManager, storeId: string, trip: TripEvidence): Promise<void> {
  const keys = [...new Set([...trip.checks.map((c) => c.key), ...(trip.postedOrder ?? []).map(productKey)])];
  if (keys.length < 2) return;
  const stored = await tx.query<(PairWeight & { trip: number })[]>(
    `SELECT a, b, ab, ba, trip FROM store_pairs WHERE store_id = $1 AND a = ANY($2::text[]) AND b = ANY($2::text[])`,
    [storeId, keys],
  );
  const next = learnTrip(trip, stored);
  if (next.length === 0) return;
  await tx.query(
    `INSERT INTO store_pairs (store_id, a, b, ab, ba, trip)
     SELECT $1, * FROM unnest($2::text[], $3::text[], $4::float8[], $5::float8[], $6::int[])
     ON CONFLICT (store_id, a, b) DO UPDATE SET ab = excluded.ab, ba = excluded.ba, trip = excluded.trip`,
    [
      storeId,
      next.map((p) => p.a),
      next.map((p) => p.b),
      next.map((p) => p.ab),
      next.map((p) => p.ba),
      next.map((p) => p.trip ?? trip.trip ?? 0),
    ],
  );
}

/** The stores of a list as the app sees them: learnedOrder keyed by the names on the list. */
export async function storeViews(
  manager: EntityManager,
  stores: StoreEntity[],
  items: ListItemName[],
): Promise<StoreResponse[]> {
  const keys = [...new Set(items.map((item) => productKey(item.name)))];
  const pairs =
    stores.length === 0 || keys.length < 2
      ? []
      : await manager.query<(PairWeight & { storeId: string })[]>(
          `SELECT store_id AS "storeId", a, b, ab, ba FROM store_pairs
            WHERE store_id = ANY($1::uuid[]) AND a = ANY($2::text[]) AND b = ANY($2::text[])`,
          [stores.map((s) => s.id), keys],
        );
  return stores.map((store) => {
    const ranked = rankWalkingOrder(
      keys,
      pairs.filter((p) => p.storeId === store.id),
    );
    // No prototype: item names such as "constructor" or "__proto__" are plain keys here.
    const learnedOrder = Object.create(null) as Record<string, number>;
    const confidence = Object.create(null) as Record<string, number>;
    for (const item of items) {
      const rank = ranked.get(productKey(item.name));
      if (!rank) continue;
      learnedOrder[item.name] = rank.position;
      confidence[item.name] = Math.round(rank.confidence * 1000) / 1000;
    }
    return {
      id: store.id,
      listId: store.listId,
      name: store.name,
      tripCount: store.tripCount,
      learnedOrder,
      confidence,
      createdAt: store.createdAt.toISOString(),
    };
  });
}

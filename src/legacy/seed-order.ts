import { productKey } from '../common/product-key';
import { StoredPair } from '../stores/stores.repository';
import { canonicalPair } from '../stores/walking-order';

/**
 * How many trips' worth of evidence the old learned order weighs at most: enough for the
 * badges to keep the old order the day after the switch, little enough that a few trips here
 * (each adds up to 1, older evidence decays by 0.75 a trip) move a product the old server had
 * elsewhere.
 */
export const SEEDED_ORDER_WEIGHT_CAP = 2;

/** One row of the old `store_order_entries`: a product's running mean position over `samples` trips. */
export interface OldOrderEntry {
  itemName: string;
  avgPos: string;
  samples: number;
}

export interface SeededOrder {
  /** Pair evidence, dated at the store's trip count so it ages like evidence learned here. */
  pairs: StoredPair[];
  /** The spellings, in the old order. */
  names: string[];
  /** Entries not taken, with why. */
  dropped: { itemName: string; reason: string }[];
}

/**
 * The old learned order as our pair evidence: products ranked by `avg_pos` (ties by key), each
 * pair weighted by the smaller sample count of its two products, at most
 * SEEDED_ORDER_WEIGHT_CAP; at most `maxProducts` products (the best sampled), one entry per
 * product key (the first by position).
 */
export function seedOrder(entries: OldOrderEntry[], tripCount: number, maxProducts: number): SeededOrder {
  const dropped: SeededOrder['dropped'] = [];
  const byKey = new Map<string, { key: string; name: string; pos: number; samples: number }>();
  const byPosition = [...entries].sort((x, y) => Number(x.avgPos) - Number(y.avgPos));
  for (const entry of byPosition) {
    const key = productKey(entry.itemName);
    const pos = Number(entry.avgPos);
    if (key === '') dropped.push({ itemName: entry.itemName, reason: 'empty item name' });
    else if (!Number.isFinite(pos))
      dropped.push({ itemName: entry.itemName, reason: `avg_pos ${entry.avgPos} is not a number` });
    else if (byKey.has(key))
      dropped.push({ itemName: entry.itemName, reason: `same product as "${byKey.get(key)!.name}"` });
    else byKey.set(key, { key, name: entry.itemName.trim(), pos, samples: Math.max(1, entry.samples) });
  }
  let ranked = [...byKey.values()];
  if (ranked.length > maxProducts) {
    const kept = new Set([...ranked].sort((x, y) => y.samples - x.samples || x.pos - y.pos).slice(0, maxProducts));
    for (const product of ranked.filter((p) => !kept.has(p))) {
      dropped.push({
        itemName: product.name,
        reason: `the store learns at most ${maxProducts} products (STORE_LEARNED_PRODUCTS); kept the best sampled`,
      });
    }
    ranked = ranked.filter((p) => kept.has(p));
  }
  ranked.sort((x, y) => x.pos - y.pos || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  const pairs: StoredPair[] = [];
  for (let i = 0; i < ranked.length; i++) {
    for (let j = i + 1; j < ranked.length; j++) {
      const weight = Math.min(SEEDED_ORDER_WEIGHT_CAP, ranked[i].samples, ranked[j].samples);
      const { a, b, swapped } = canonicalPair(ranked[i].key, ranked[j].key);
      pairs.push({ a, b, ab: swapped ? 0 : weight, ba: swapped ? weight : 0, trip: tripCount });
    }
  }
  return { pairs, names: ranked.map((p) => p.name), dropped };
}

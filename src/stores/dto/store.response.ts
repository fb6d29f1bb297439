import { StoreEntity } from '../store.entity';

export class StoreResponse {
  id!: string;
  listId!: string;
  /** @example "Lidl Main St" */
  name!: string;
  /** Completed trips on this store; the app treats 2 or more as "learned". */
  tripCount!: number;
  /**
   * 1-based walking position of every product the store has learned (at most
   * STORE_LEARNED_PRODUCTS, the most recently walked), distinct and ranked over the whole
   * store, so positions do not change as items come and go: keyed by the item's name as on
   * the list when it is on the list, else by the product's most recent spelling.
   * @example {"Bananas": 1, "Milk": 2, "Bread": 3}
   */
  learnedOrder!: Record<string, number>;
  /** How sure each position is, 0 to 1, keyed like learnedOrder (same keys). */
  confidence!: Record<string, number>;
  createdAt!: string;
}

declare module '../../realtime/list-events' {
  interface ListEventPayloads {
    'store:updated': StoreResponse;
  }
}

/** A walking position and how sure it is, for one product. */
export interface Rank {
  position: number;
  confidence: number;
}

/** The store as the app sees it: positions keyed by the item names given (`rankOf` by name). */
export function toStoreResponse(
  store: StoreEntity,
  names: string[],
  rankOf: (name: string) => Rank | undefined,
): StoreResponse {
  // No prototype: item names such as "constructor" or "__proto__" are plain keys here.
  const learnedOrder = Object.create(null) as Record<string, number>;
  const confidence = Object.create(null) as Record<string, number>;
  for (const name of names) {
    const rank = rankOf(name);
    if (!rank) continue;
    learnedOrder[name] = rank.position;
    confidence[name] = Math.round(rank.confidence * 1000) / 1000;
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
}

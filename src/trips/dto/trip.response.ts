import { TripEntity, TripItemEntity } from '../trip.entity';

export class TripItemResponse {
  id!: string;
  name!: string;
  quantity!: number;
  unit!: string;
  category!: string | null;
  checkedBy!: string | null;
  checkedAt!: string | null;
}

export class TripResponse {
  id!: string;
  listId!: string;
  storeId!: string | null;
  storeName!: string | null;
  completedBy!: string | null;
  completedAt!: string;
  itemCount!: number;
  /** Absolute, expiring, signed link an image view can open without headers; null without a receipt. */
  receiptUrl!: string | null;
  /** The snapshot of the checked items (trip detail and completion only). */
  items?: TripItemResponse[];
  /** The list items the completion removed (completion only). */
  removedItemIds?: string[];
}

declare module '../../realtime/list-events' {
  interface ListEventPayloads {
    /**
     * The trip with its items and the ids of the list items it removed. Stored without a
     * receipt link: the trip's current receipt is signed when the frame is sent.
     */
    'trip:completed': TripResponse & { removedItemIds: string[] };
    /** A trip changed after completion (its receipt). */
    'trip:updated': TripResponse;
  }
}

export function toTripItemResponse(item: TripItemEntity): TripItemResponse {
  return {
    id: item.itemId,
    name: item.name,
    quantity: item.quantity,
    unit: item.unit,
    category: item.category,
    checkedBy: item.checkedBy,
    checkedAt: item.checkedAt?.toISOString() ?? null,
  };
}

/** `receiptUrl` is signed by the caller (it expires), or null in what the event log keeps. */
export function toTripResponse(trip: TripEntity, receiptUrl: string | null, items?: TripItemEntity[]): TripResponse {
  return {
    id: trip.id,
    listId: trip.listId,
    storeId: trip.storeId,
    storeName: trip.storeName,
    completedBy: trip.completedBy,
    completedAt: trip.completedAt.toISOString(),
    itemCount: trip.itemCount,
    receiptUrl,
    ...(items ? { items: items.map(toTripItemResponse) } : {}),
  };
}

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

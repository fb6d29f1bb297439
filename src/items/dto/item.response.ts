import { ItemEntity } from '../item.entity';

export class ItemResponse {
  id!: string;
  listId!: string;
  /** @example "Milk" */
  name!: string;
  /** @example 2 */
  quantity!: number;
  /** @example "l" */
  unit!: string;
  checked!: boolean;
  /** Who checked it (user id); null while unchecked. */
  checkedBy!: string | null;
  /** When it was checked (server time); null while unchecked. */
  checkedAt!: string | null;
  /** Who added it (user id). */
  addedBy!: string | null;
  createdAt!: string;
  updatedAt!: string;
  /** Increases on every change; send it back in `If-Match`. */
  version!: number;
  note!: string | null;
  category!: string | null;
}

export function toItemResponse(item: ItemEntity): ItemResponse {
  return {
    id: item.id,
    listId: item.listId,
    name: item.name,
    quantity: item.quantity,
    unit: item.unit,
    checked: item.checked,
    checkedBy: item.checkedBy,
    checkedAt: item.checkedAt?.toISOString() ?? null,
    addedBy: item.addedBy,
    createdAt: item.createdAt.toISOString(),
    updatedAt: item.updatedAt.toISOString(),
    version: item.version,
    note: item.note,
    category: item.category,
  };
}

declare module '../../realtime/list-events' {
  interface ListEventPayloads {
    'item:added': ItemResponse;
    'item:updated': ItemResponse;
    'item:removed': { id: string };
  }
}

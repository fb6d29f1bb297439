import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import { ItemEntity } from './item.entity';
import { PreparedStatement } from '../database/prepared-statement';
import { EVENTS_CHANNEL } from '../events/stored-event';

export interface NewItem {
  name: string;
  quantity: number;
  unit: string;
  note: string | null;
  category: string | null;
}

export type AddOutcome =
  { kind: 'added' | 'existing'; item: ItemEntity } | { kind: 'id-taken' | 'not-member' | 'over-quota' };

/** Who adds: the event's actor. */
export interface Adder {
  userId: string;
  sessionId: string;
}

/** An item row with the entity's property names. */
const ITEM_COLUMNS = `id, list_id AS "listId", name, quantity, unit, note, category, checked, checked_by AS "checkedBy",
  checked_at AS "checkedAt", checked_received_at AS "checkedReceivedAt", added_by AS "addedBy", version,
  created_at AS "createdAt", updated_at AS "updatedAt"`;

/**
 * The whole add in one statement: membership, the client id's reuse, the quota counted under the
 * list's lock, the row, the seq bump, the event and its NOTIFY (migrations/…-AddItemFunction.ts).
 */
export const ADD = PreparedStatement.declare(
  'items.add',
  `SELECT r.outcome, r.event_seq AS seq, added.*
     FROM cartsync_add_item($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) r,
          LATERAL (SELECT ${ITEM_COLUMNS} FROM (SELECT (r.item).*) AS item) AS added`,
);

export const LOCK_IN_LIST = PreparedStatement.declare(
  'items.lock-in-list',
  `SELECT ${ITEM_COLUMNS} FROM items WHERE id = $1 AND list_id = $2 FOR UPDATE`,
);

export const UPDATE = PreparedStatement.declare(
  'items.update',
  `UPDATE items
      SET name = $3, quantity = $4, unit = $5, note = $6, category = $7, checked = $8, checked_by = $9,
          checked_at = $10, checked_received_at = $11, version = $12, updated_at = CURRENT_TIMESTAMP
    WHERE id = $1 AND list_id = $2
    RETURNING updated_at AS "updatedAt"`,
);

/** `UPDATE`'s values, in its parameters' order: every field a change may touch. */
export function updateValues(item: ItemEntity): unknown[] {
  return [
    item.id,
    item.listId,
    item.name,
    item.quantity,
    item.unit,
    item.note,
    item.category,
    item.checked,
    item.checkedBy,
    item.checkedAt,
    item.checkedReceivedAt,
    item.version,
  ];
}

/** The one writer of `items`; every method takes part in the caller's transaction. */
@Injectable()
export class ItemsRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  private get items() {
    return this.txHost.tx.getRepository(ItemEntity);
  }

  /**
   * Adds an item and appends its `item:added` event, atomically, in one round trip (inside the
   * caller's transaction if there is one). With a client-generated id, adding it again returns
   * the existing item (a retried offline add) and an id used on another list is refused. Nothing
   * is written unless the outcome is `added`.
   */
  async add(
    listId: string,
    adder: Adder,
    item: NewItem,
    maxItems: number,
    id: string = crypto.randomUUID(),
  ): Promise<AddOutcome> {
    const [row]: (ItemEntity & { outcome: AddOutcome['kind']; seq: string | null })[] = await ADD.run(this.txHost.tx, [
      listId,
      adder.userId,
      adder.sessionId,
      id,
      item.name,
      item.quantity,
      item.unit,
      item.note,
      item.category,
      maxItems,
      EVENTS_CHANNEL,
    ]);
    const { outcome, seq: _seq, ...columns } = row;
    if (outcome === 'added' || outcome === 'existing') {
      return { kind: outcome, item: Object.assign(new ItemEntity(), columns) };
    }
    return { kind: outcome };
  }

  /** The item under a row lock until the transaction ends; null when it is not on this list. */
  async lockInList(listId: string, itemId: string): Promise<ItemEntity | null> {
    const rows: ItemEntity[] = await LOCK_IN_LIST.run(this.txHost.tx, [itemId, listId]);
    return rows[0] ? Object.assign(new ItemEntity(), rows[0]) : null;
  }

  /**
   * Writes the item's fields (it was locked by lockInList in this transaction) in one statement
   * (TypeORM's save read the row again first); `updatedAt` is the statement's time, as before.
   */
  async save(item: ItemEntity): Promise<ItemEntity> {
    const [rows]: [{ updatedAt: Date }[], number] = await UPDATE.run(this.txHost.tx, updateValues(item));
    if (!rows[0]) throw new Error(`item ${item.id} vanished inside its own transaction`);
    item.updatedAt = rows[0].updatedAt;
    return item;
  }

  /** False when no such item is on this list. */
  async remove(listId: string, itemId: string): Promise<boolean> {
    const result = await this.items.delete({ id: itemId, listId });
    return (result.affected ?? 0) > 0;
  }

  /**
   * The list's items, oldest first. A plain query: at thousands of items TypeORM's entity
   * hydration would hold the event loop for tens of milliseconds in one go, while pg parses
   * the rows chunk by chunk as they arrive.
   */
  async inList(listId: string): Promise<ItemEntity[]> {
    const rows: ItemEntity[] = await this.txHost.tx.query(
      `SELECT ${ITEM_COLUMNS} FROM items WHERE list_id = $1 ORDER BY created_at, id`,
      [listId],
    );
    return rows.map((row) => Object.assign(new ItemEntity(), row));
  }

  /** The checked items, locked, in the order they were checked (a trip's purchases). */
  lockChecked(listId: string): Promise<ItemEntity[]> {
    return this.items.find({
      where: { listId, checked: true },
      order: { checkedAt: 'ASC', id: 'ASC' },
      lock: { mode: 'pessimistic_write' },
    });
  }

  async removeMany(listId: string, itemIds: string[]): Promise<void> {
    if (itemIds.length > 0) await this.items.delete({ listId, id: In(itemIds) });
  }

  /** Names of the items on the list now. */
  async namesInList(listId: string): Promise<string[]> {
    const rows: { name: string }[] = await this.txHost.tx.query(`SELECT name FROM items WHERE list_id = $1`, [listId]);
    return rows.map((row) => row.name);
  }
}

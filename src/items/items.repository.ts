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
 * list's lock, the row, the seq bump, the event and its NOTIFY (migrations/…-ItemWriteFunctions.ts).
 */
export const ADD = PreparedStatement.declare(
  'items.add',
  `SELECT r.outcome, r.event_seq AS seq, added.*
     FROM cartsync_add_item($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) r,
          LATERAL (SELECT ${ITEM_COLUMNS} FROM (SELECT (r.item).*) AS item) AS added`,
);

/**
 * The item under a row lock, if the caller is a member of its list: the membership check and
 * the lock in one round trip (always one row; `isMember` false: nothing was locked).
 */
export const LOCK_FOR_MEMBER = PreparedStatement.declare(
  'items.lock-for-member',
  `SELECT m.user_id IS NOT NULL AS "isMember", locked.*
     FROM (SELECT 1) AS one
     LEFT JOIN list_members m ON m.list_id = $2 AND m.user_id = $3
     LEFT JOIN LATERAL (
       SELECT ${ITEM_COLUMNS} FROM items WHERE id = $1 AND list_id = $2 AND m.user_id IS NOT NULL FOR UPDATE
     ) AS locked ON true`,
);

/**
 * The item's fields written and its `item:updated` event appended (seq bump under the list's
 * row lock, the payload built from the written row by `cartsync_item_json`, the NOTIFY sent on
 * commit), in one statement. `updated_at` is the statement's time.
 */
export const UPDATE = PreparedStatement.declare(
  'items.update-logged',
  `WITH updated AS (
     UPDATE items
        SET name = $3, quantity = $4, unit = $5, note = $6, category = $7, checked = $8, checked_by = $9,
            checked_at = $10, checked_received_at = $11, version = $12, updated_at = CURRENT_TIMESTAMP
      WHERE id = $1 AND list_id = $2
      RETURNING items AS item_row, updated_at
   ), bumped AS (
     UPDATE lists SET seq = seq + 1, updated_at = now() WHERE id = $2 AND EXISTS (SELECT 1 FROM updated)
     RETURNING id, seq
   ), appended AS (
     INSERT INTO list_events (list_id, seq, type, payload, actor_id, actor_session)
     SELECT bumped.id, bumped.seq, 'item:updated', cartsync_item_json(updated.item_row), $13, $14
       FROM bumped, updated
     RETURNING list_id, seq
   )
   SELECT updated.updated_at AS "updatedAt", appended.seq, pg_notify($15, json_build_object('l', appended.list_id, 's', appended.seq)::text)
     FROM updated, appended`,
);

/** `UPDATE`'s values, in its parameters' order: every field a change may touch, then who changed it. */
export function updateValues(item: ItemEntity, actor: Adder): unknown[] {
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
    actor.userId,
    actor.sessionId,
    EVENTS_CHANNEL,
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

  /**
   * For a member of the list: the item under a row lock until the transaction ends (null when it
   * is not on this list). For anyone else: `not-member`, nothing locked.
   */
  async lockForMember(listId: string, itemId: string, userId: string): Promise<'not-member' | ItemEntity | null> {
    this.requireTransaction();
    const [row]: (ItemEntity & { isMember: boolean })[] = await LOCK_FOR_MEMBER.run(this.txHost.tx, [
      itemId,
      listId,
      userId,
    ]);
    const { isMember, ...columns } = row;
    if (!isMember) return 'not-member';
    return columns.id ? Object.assign(new ItemEntity(), columns) : null;
  }

  /**
   * Writes the item's fields (locked by lockForMember in this transaction) and appends its
   * `item:updated` event, in one statement (the event's payload is the row as written);
   * `updatedAt` is the statement's time.
   */
  async saveLogged(item: ItemEntity, actor: Adder): Promise<ItemEntity> {
    this.requireTransaction();
    const rows: { updatedAt: Date }[] = await UPDATE.run(this.txHost.tx, updateValues(item, actor));
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

  /** A row lock or an event outside a transaction would not hold until the write commits. */
  private requireTransaction(): void {
    if (!this.txHost.isTransactionActive())
      throw new Error('items are locked and updated inside the write transaction');
  }

  /** Names of the items on the list now. */
  async namesInList(listId: string): Promise<string[]> {
    const rows: { name: string }[] = await this.txHost.tx.query(`SELECT name FROM items WHERE list_id = $1`, [listId]);
    return rows.map((row) => row.name);
  }
}

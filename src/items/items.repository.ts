import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import { ItemEntity } from './item.entity';

export interface NewItem {
  name: string;
  quantity: number;
  unit: string;
  note: string | null;
  category: string | null;
}

export type AddOutcome = { kind: 'added' | 'existing'; item: ItemEntity } | { kind: 'id-taken' };

/** The one writer of `items`; every method takes part in the caller's transaction. */
@Injectable()
export class ItemsRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  private get items() {
    return this.txHost.tx.getRepository(ItemEntity);
  }

  /**
   * Adds an item; with a client-generated id, adding it again returns the existing item
   * (a retried offline add) and an id used on another list is refused. The insert skips a
   * taken id instead of failing, so the caller's transaction stays usable.
   */
  async add(listId: string, addedBy: string, item: NewItem, id: string = crypto.randomUUID()): Promise<AddOutcome> {
    const inserted = await this.items
      .createQueryBuilder()
      .insert()
      .values({ ...item, id, listId, addedBy, checked: false, version: 1 })
      .orIgnore()
      .execute();
    const saved = await this.items.findOneBy({ id });
    if ((inserted.raw as unknown[]).length > 0 && saved) return { kind: 'added', item: saved };
    return saved?.listId === listId ? { kind: 'existing', item: saved } : { kind: 'id-taken' };
  }

  /** The item under a row lock until the transaction ends; null when it is not on this list. */
  lockInList(listId: string, itemId: string): Promise<ItemEntity | null> {
    return this.items.findOne({ where: { id: itemId, listId }, lock: { mode: 'pessimistic_write' } });
  }

  save(item: ItemEntity): Promise<ItemEntity> {
    return this.items.save(item);
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
      `SELECT id, list_id AS "listId", name, quantity, unit, note, category, checked, checked_by AS "checkedBy",
              checked_at AS "checkedAt", checked_received_at AS "checkedReceivedAt", added_by AS "addedBy", version, created_at AS "createdAt",
              updated_at AS "updatedAt"
         FROM items WHERE list_id = $1 ORDER BY created_at, id`,
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

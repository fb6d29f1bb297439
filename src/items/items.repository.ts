import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { isUniqueViolation } from '../common/database/unique-violation';
import { EventLog } from '../realtime/event-log.repository';
import { toItemResponse } from './dto/item.response';
import { ItemEntity } from './item.entity';

export interface NewItem {
  name: string;
  quantity: number;
  unit: string;
  note: string | null;
  category: string | null;
}

export type ItemChanges = Partial<NewItem> & { checked?: boolean };

export type AddOutcome = { kind: 'added' | 'existing'; item: ItemEntity } | { kind: 'id-taken' };

export type UpdateOutcome = { kind: 'updated'; item: ItemEntity } | { kind: 'stale'; item: ItemEntity } | null;

/** Items of a list. Every write appends its event to the list's log in the same transaction. */
@Injectable()
export class ItemsRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly events: EventLog,
  ) {}

  /**
   * Adds an item; with a client-generated id, adding it again returns the existing item
   * (a retried offline add) and an id used on another list is refused.
   */
  async add(listId: string, addedBy: string, item: NewItem, id?: string): Promise<AddOutcome> {
    try {
      return await this.dataSource.transaction(async (tx) => {
        const repo = tx.getRepository(ItemEntity);
        const itemId = id ?? crypto.randomUUID();
        await repo.insert({ ...item, id: itemId, listId, addedBy, checked: false, version: 1 });
        const saved = await repo.findOneByOrFail({ id: itemId });
        await this.events.append(tx, listId, 'item:added', toItemResponse(saved), addedBy);
        return { kind: 'added' as const, item: saved };
      });
    } catch (error) {
      if (!id || !isUniqueViolation(error)) throw error;
      const existing = await this.dataSource.getRepository(ItemEntity).findOneBy({ id });
      return existing?.listId === listId ? { kind: 'existing', item: existing } : { kind: 'id-taken' };
    }
  }

  /**
   * Applies the changes field by field under a row lock; `version` grows only when something
   * changed. Checking records who and when; unchecking clears both. With `expectedVersion`,
   * a changed item is not touched (`stale`). Null when the item is not on this list.
   */
  async update(
    listId: string,
    itemId: string,
    changes: ItemChanges,
    actorId: string,
    expectedVersion?: number,
  ): Promise<UpdateOutcome> {
    return this.dataSource.transaction(async (tx) => {
      const repo = tx.getRepository(ItemEntity);
      const item = await repo.findOne({ where: { id: itemId, listId }, lock: { mode: 'pessimistic_write' } });
      if (!item) return null;
      if (expectedVersion !== undefined && item.version !== expectedVersion) return { kind: 'stale', item };
      let changed = false;
      for (const field of ['name', 'quantity', 'unit', 'note', 'category'] as const) {
        const value = changes[field];
        if (value !== undefined && item[field] !== value) {
          Object.assign(item, { [field]: value });
          changed = true;
        }
      }
      if (changes.checked !== undefined && changes.checked !== item.checked) {
        item.checked = changes.checked;
        item.checkedBy = changes.checked ? actorId : null;
        item.checkedAt = changes.checked ? new Date() : null;
        changed = true;
      }
      if (!changed) return { kind: 'updated', item };
      item.version += 1;
      const saved = await repo.save(item);
      await this.events.append(tx, listId, 'item:updated', toItemResponse(saved), actorId);
      return { kind: 'updated', item: saved };
    });
  }

  /** False when no such item is on this list. */
  async remove(listId: string, itemId: string, actorId: string): Promise<boolean> {
    return this.dataSource.transaction(async (tx) => {
      const result = await tx.getRepository(ItemEntity).delete({ id: itemId, listId });
      if ((result.affected ?? 0) === 0) return false;
      await this.events.append(tx, listId, 'item:removed', { id: itemId }, actorId);
      return true;
    });
  }
}

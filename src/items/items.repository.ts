import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ItemEntity } from './item.entity';

export interface NewItem {
  name: string;
  quantity: number;
  unit: string;
  note: string | null;
  category: string | null;
}

export type ItemChanges = Partial<NewItem> & { checked?: boolean };

@Injectable()
export class ItemsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async add(listId: string, addedBy: string, item: NewItem): Promise<ItemEntity> {
    return this.dataSource.transaction(async (tx) => {
      const repo = tx.getRepository(ItemEntity);
      return repo.save(repo.create({ ...item, id: crypto.randomUUID(), listId, addedBy, checked: false, version: 1 }));
    });
  }

  /**
   * Applies the changes field by field under a row lock; `version` grows only when something
   * changed. Checking records who and when; unchecking clears both. Null when not on this list.
   */
  async update(listId: string, itemId: string, changes: ItemChanges, actorId: string): Promise<ItemEntity | null> {
    return this.dataSource.transaction(async (tx) => {
      const repo = tx.getRepository(ItemEntity);
      const item = await repo.findOne({ where: { id: itemId, listId }, lock: { mode: 'pessimistic_write' } });
      if (!item) return null;
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
      if (!changed) return item;
      item.version += 1;
      return repo.save(item);
    });
  }

  /** False when no such item is on this list. */
  async remove(listId: string, itemId: string): Promise<boolean> {
    return this.dataSource.transaction(async (tx) => {
      const result = await tx.getRepository(ItemEntity).delete({ id: itemId, listId });
      return (result.affected ?? 0) > 0;
    });
  }
}

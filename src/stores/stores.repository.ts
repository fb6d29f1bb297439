import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { isUniqueViolation } from '../common/database/unique-violation';
import { productKey } from '../common/product-key';
import { ItemEntity } from '../items/item.entity';
import { EventLog } from '../realtime/event-log.repository';
import { StoreResponse } from './dto/store.response';
import { StoreEntity } from './store.entity';
import { storeViews } from './store-learning';

/** Stores of a list and their learned walking order. */
@Injectable()
export class StoresRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly events: EventLog,
  ) {}

  /** Every store of the list, learned order computed over the items on the list now. */
  async views(listId: string, storeId?: string): Promise<StoreResponse[]> {
    const [stores, items] = await Promise.all([
      this.dataSource.getRepository(StoreEntity).find({
        where: storeId ? { listId, id: storeId } : { listId },
        order: { createdAt: 'ASC', id: 'ASC' },
      }),
      this.dataSource.getRepository(ItemEntity).find({ select: { name: true }, where: { listId } }),
    ]);
    return storeViews(this.dataSource.manager, stores, items);
  }

  /** A new store; null when the list already has one of that name (case-insensitively). */
  async create(listId: string, name: string, actorId: string): Promise<StoreResponse | null> {
    try {
      return await this.dataSource.transaction(async (tx) => {
        const repo = tx.getRepository(StoreEntity);
        const store = await repo.save(repo.create({ listId, name, nameKey: productKey(name), tripCount: 0 }));
        const [view] = await storeViews(tx, [store], []);
        await this.events.append(tx, listId, 'store:updated', view, actorId);
        return view;
      });
    } catch (error) {
      if (isUniqueViolation(error, 'stores_list_name_key')) return null;
      throw error;
    }
  }

  /**
   * Keeps the order the app posts just before completing a trip; the trip uses it once, and
   * only for a shopper whose own checks did not give a usable route (never both).
   */
  async postOrder(listId: string, storeId: string, order: string[], actorId: string, now: Date): Promise<boolean> {
    const result = await this.dataSource
      .getRepository(StoreEntity)
      .update({ id: storeId, listId }, { postedOrder: order.map(productKey), postedBy: actorId, postedAt: now });
    return (result.affected ?? 0) > 0;
  }
}

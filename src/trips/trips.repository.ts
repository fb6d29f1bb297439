import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { productKey } from '../common/product-key';
import { ItemEntity } from '../items/item.entity';
import { EventLog } from '../realtime/event-log.repository';
import { StoreEntity } from '../stores/store.entity';
import { learnTripInStore, storeViews } from '../stores/store-learning';
import { Check } from '../stores/walking-order';
import { TripResponse } from './dto/trip.response';
import { TripEntity, TripItemEntity } from './trip.entity';

/** A posted order older than this is not taken as the route of the trip being completed. */
const POSTED_ORDER_MAX_AGE_MS = 6 * 3_600_000;

export type CompleteOutcome =
  { kind: 'completed'; trip: TripEntity; items: TripItemEntity[] } | { kind: 'no-store' } | { kind: 'nothing-checked' };

export interface TripDetail {
  trip: TripEntity;
  items: TripItemEntity[];
}

/** Builds the wire shape (the receipt link is signed by the caller). */
export type TripMapper = (trip: TripEntity, items?: TripItemEntity[]) => TripResponse;

@Injectable()
export class TripsRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly events: EventLog,
  ) {}

  /**
   * One transaction: lock the checked items, snapshot them into the trip, remove exactly
   * those (unchecked items stay), learn the store's walking order from this trip, bump its
   * tripCount, and append `store:updated` and `trip:completed` to the list's log.
   */
  async complete(
    listId: string,
    actorId: string,
    storeId: string | undefined,
    now: Date,
    toResponse: TripMapper,
  ): Promise<CompleteOutcome> {
    return this.dataSource.transaction(async (tx) => {
      const store = storeId
        ? await tx
            .getRepository(StoreEntity)
            .findOne({ where: { id: storeId, listId }, lock: { mode: 'pessimistic_write' } })
        : null;
      if (storeId && !store) return { kind: 'no-store' };
      const checked = await tx.getRepository(ItemEntity).find({
        where: { listId, checked: true },
        order: { checkedAt: 'ASC', id: 'ASC' },
        lock: { mode: 'pessimistic_write' },
      });
      if (checked.length === 0) return { kind: 'nothing-checked' };

      const trip = await tx.getRepository(TripEntity).save(
        tx.getRepository(TripEntity).create({
          listId,
          storeId: store?.id ?? null,
          storeName: store?.name ?? null,
          completedBy: actorId,
          completedAt: now,
          itemCount: checked.length,
          receiptKey: null,
          receiptType: null,
        }),
      );
      const items = checked.map((item) =>
        tx.getRepository(TripItemEntity).create({
          tripId: trip.id,
          itemId: item.id,
          productKey: productKey(item.name),
          name: item.name,
          quantity: item.quantity,
          unit: item.unit,
          category: item.category,
          checkedBy: item.checkedBy,
          checkedAt: item.checkedAt,
        }),
      );
      await tx.getRepository(TripItemEntity).insert(items);
      await tx.getRepository(ItemEntity).delete({ listId, id: In(checked.map((item) => item.id)) });

      if (store) await this.learn(tx, store, checked, now, actorId);
      await this.events.append(
        tx,
        listId,
        'trip:completed',
        { ...toResponse(trip, items), removedItemIds: checked.map((item) => item.id) },
        actorId,
      );
      return { kind: 'completed', trip, items };
    });
  }

  /** Newest first; `before` is the id of the last trip of the previous page. */
  async history(listId: string, limit: number, before?: string): Promise<TripEntity[] | null> {
    const query = this.dataSource
      .getRepository(TripEntity)
      .createQueryBuilder('t')
      .where('t.list_id = :listId', { listId })
      .orderBy('t.completed_at', 'DESC')
      .addOrderBy('t.id', 'DESC')
      .limit(limit);
    if (before) {
      const cursor = await this.dataSource.getRepository(TripEntity).findOneBy({ id: before, listId });
      if (!cursor) return null;
      query.andWhere('(t.completed_at, t.id) < (:at, :id)', { at: cursor.completedAt, id: cursor.id });
    }
    return query.getMany();
  }

  async detail(listId: string, tripId: string): Promise<TripDetail | null> {
    const trip = await this.dataSource.getRepository(TripEntity).findOneBy({ id: tripId, listId });
    if (!trip) return null;
    const items = await this.dataSource
      .getRepository(TripItemEntity)
      .find({ where: { tripId }, order: { checkedAt: 'ASC', name: 'ASC' } });
    return { trip, items };
  }

  async exists(listId: string, tripId: string): Promise<boolean> {
    return this.dataSource.getRepository(TripEntity).existsBy({ id: tripId, listId });
  }

  async findByReceipt(tripId: string, receiptKey: string): Promise<TripEntity | null> {
    return this.dataSource.getRepository(TripEntity).findOneBy({ id: tripId, receiptKey });
  }

  /**
   * Points the trip at its new receipt and appends `trip:updated`; returns the key of the
   * receipt it replaced (for the caller to delete after commit), or null when the trip is gone.
   */
  async attachReceipt(
    listId: string,
    tripId: string,
    receiptKey: string,
    receiptType: string,
    actorId: string,
    toResponse: TripMapper,
  ): Promise<{ trip: TripEntity; replacedKey: string | null } | null> {
    return this.dataSource.transaction(async (tx) => {
      const repo = tx.getRepository(TripEntity);
      const trip = await repo.findOne({ where: { id: tripId, listId }, lock: { mode: 'pessimistic_write' } });
      if (!trip) return null;
      const replacedKey = trip.receiptKey;
      trip.receiptKey = receiptKey;
      trip.receiptType = receiptType;
      await repo.save(trip);
      await this.events.append(tx, listId, 'trip:updated', toResponse(trip), actorId);
      return { trip, replacedKey };
    });
  }

  /**
   * The trip's evidence: who checked what when, and the order the app posted for this store
   * (fresh, used once, and only when the checks gave no route — never counted twice).
   */
  private async learn(
    tx: EntityManager,
    store: StoreEntity,
    checked: ItemEntity[],
    now: Date,
    actorId: string,
  ): Promise<void> {
    const checks: Check[] = checked
      .filter((item) => item.checkedBy && item.checkedAt)
      .map((item) => ({ key: productKey(item.name), shopper: item.checkedBy!, at: item.checkedAt!.getTime() }));
    const fresh = store.postedAt !== null && now.getTime() - store.postedAt.getTime() <= POSTED_ORDER_MAX_AGE_MS;
    await learnTripInStore(tx, store.id, {
      checks,
      postedOrder: fresh ? (store.postedOrder ?? undefined) : undefined,
      trip: store.tripCount + 1,
    });
    await tx
      .getRepository(StoreEntity)
      .update({ id: store.id }, { tripCount: store.tripCount + 1, postedOrder: null, postedBy: null, postedAt: null });
    const remaining = await tx
      .getRepository(ItemEntity)
      .find({ select: { name: true }, where: { listId: store.listId } });
    const [view] = await storeViews(tx, [{ ...store, tripCount: store.tripCount + 1 }], remaining);
    await this.events.append(tx, store.listId, 'store:updated', view, actorId);
  }
}

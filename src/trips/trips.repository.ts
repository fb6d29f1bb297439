import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import { TripEntity, TripItemEntity } from './trip.entity';

export type NewTrip = Omit<TripEntity, 'id' | 'receiptKey' | 'receiptType'>;
export type NewTripItem = Omit<TripItemEntity, 'tripId'>;

/** One trip of `historyJson`: JSON texts to splice, and the receipt key to sign. */
export interface TripJsonRow {
  id: string;
  receiptKey: string | null;
  /** The trip's fields but `receiptUrl` and `items`, as a JSON object. */
  head: string;
  /** Its bought items, as a JSON array of `TripItemResponse`. */
  items: string;
}

/** A timestamptz as `Date.prototype.toISOString` spells it (UTC, milliseconds truncated as node-postgres does). */
const isoText = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

export interface TripDetail {
  trip: TripEntity;
  items: TripItemEntity[];
}

/** The one writer of `trips` and `trip_items`; every method takes part in the caller's transaction. */
@Injectable()
export class TripsRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  private get trips() {
    return this.txHost.tx.getRepository(TripEntity);
  }

  private get tripItems() {
    return this.txHost.tx.getRepository(TripItemEntity);
  }

  /** The trip with its snapshot of bought items. */
  async create(trip: NewTrip, items: NewTripItem[]): Promise<TripDetail> {
    const saved = await this.trips.save(this.trips.create({ ...trip, receiptKey: null, receiptType: null }));
    const rows = items.map((item) => this.tripItems.create({ ...item, tripId: saved.id }));
    await this.tripItems.insert(rows);
    return { trip: saved, items: rows };
  }

  /**
   * Keeps the list's newest `maxTrips` trips, and of those only the newest whose bought items
   * add up to at most `maxItems`; the rest go, with their items and receipt files (cascades).
   * `keepId` (the trip just completed) always stays. Run under the list's lock, after the
   * trip's event: it sees every trip committed before, so racing completions cannot keep more.
   */
  async trimHistory(listId: string, keepId: string, maxTrips: number, maxItems: number): Promise<void> {
    await this.txHost.tx.query(
      `DELETE FROM trips WHERE list_id = $1 AND id <> $2 AND id IN (
         SELECT id FROM (
           SELECT id, row_number() OVER newest AS n, sum(item_count) OVER newest AS items
             FROM trips WHERE list_id = $1
           WINDOW newest AS (ORDER BY completed_at DESC, id DESC)
         ) ranked
         WHERE n > $3 OR items > $4
       )`,
      [listId, keepId, maxTrips, maxItems],
    );
  }

  /** Newest first; `before` is the id of the last trip of the previous page; null when it is not a trip of this list. */
  async history(listId: string, limit: number, before?: string): Promise<TripEntity[] | null> {
    const query = this.trips
      .createQueryBuilder('t')
      .where('t.list_id = :listId', { listId })
      .orderBy('t.completed_at', 'DESC')
      .addOrderBy('t.id', 'DESC')
      .limit(limit);
    if (before) {
      const cursor = await this.trips.findOneBy({ id: before, listId });
      if (!cursor) return null;
      query.andWhere('(t.completed_at, t.id) < (:at, :id)', { at: cursor.completedAt, id: cursor.id });
    }
    return query.getMany();
  }

  async detail(listId: string, tripId: string): Promise<TripDetail | null> {
    const trip = await this.trips.findOneBy({ id: tripId, listId });
    if (!trip) return null;
    const items = await this.tripItems.find({ where: { tripId }, order: { checkedAt: 'ASC', name: 'ASC' } });
    return { trip, items };
  }

  /**
   * A page of the list's history (newest first, after the trip `before` when given) as JSON
   * texts written by PostgreSQL, for the account export: each trip's fields in
   * `toTripResponse`'s order but its receipt link (`head`), its bought items in `detail`'s order
   * (`items`), and its receipt's key to sign. No entity is built: the whole history of a list
   * at the quota limits (50,000 bought items) is read without filling the heap.
   */
  historyJson(listId: string, limit: number, before?: string): Promise<TripJsonRow[]> {
    return this.txHost.tx.query(
      `SELECT t.id, t.receipt_key AS "receiptKey",
              json_build_object('id', t.id, 'listId', t.list_id, 'storeId', t.store_id, 'storeName', t.store_name,
                                'completedBy', t.completed_by, 'completedAt', ${isoText('t.completed_at')},
                                'itemCount', t.item_count)::text AS head,
              (SELECT coalesce(json_agg(json_build_object(
                        'id', i.item_id, 'name', i.name, 'quantity', i.quantity, 'unit', i.unit, 'category', i.category,
                        'checkedBy', i.checked_by, 'checkedAt', ${isoText('i.checked_at')})
                        ORDER BY i.checked_at, i.name), '[]'::json)
                 FROM trip_items i WHERE i.trip_id = t.id)::text AS items
         FROM trips t
        WHERE t.list_id = $1
          AND ($2::uuid IS NULL OR (t.completed_at, t.id) < (SELECT c.completed_at, c.id FROM trips c WHERE c.id = $2 AND c.list_id = $1))
        ORDER BY t.completed_at DESC, t.id DESC
        LIMIT $3`,
      [listId, before ?? null, limit],
    );
  }

  exists(listId: string, tripId: string): Promise<boolean> {
    return this.trips.existsBy({ id: tripId, listId });
  }

  /** The current receipt key of each of these trips that has one. */
  async receiptKeys(tripIds: string[]): Promise<Map<string, string>> {
    if (tripIds.length === 0) return new Map();
    const rows = await this.trips.find({ select: { id: true, receiptKey: true }, where: { id: In(tripIds) } });
    return new Map(rows.filter((row) => row.receiptKey).map((row) => [row.id, row.receiptKey!]));
  }

  /** The trip under a row lock until the transaction ends. */
  lockInList(listId: string, tripId: string): Promise<TripEntity | null> {
    return this.trips.findOne({ where: { id: tripId, listId }, lock: { mode: 'pessimistic_write' } });
  }

  async setReceipt(trip: TripEntity, receiptKey: string, receiptType: string): Promise<TripEntity> {
    await this.trips.update({ id: trip.id }, { receiptKey, receiptType });
    return { ...trip, receiptKey, receiptType };
  }
}

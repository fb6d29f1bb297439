import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Injectable } from '@nestjs/common';
import { Purchase } from './repurchase';

const HISTORY_DAYS = 400;

/** Reads what a list's trips bought (`TripsRepository` writes it). */
@Injectable()
export class SuggestionsRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  /** Everything the list's trips bought in the last ~13 months, oldest first. */
  async purchases(listId: string, now: Date): Promise<Purchase[]> {
    const rows: { key: string; name: string; unit: string; at: Date; tripId: string }[] = await this.txHost.tx.query(
      `SELECT ti.product_key AS key, ti.name, ti.unit, t.completed_at AS at, t.id AS "tripId"
         FROM trip_items ti JOIN trips t ON t.id = ti.trip_id
        WHERE t.list_id = $1 AND t.completed_at > $2::timestamptz - make_interval(days => $3)
        ORDER BY t.completed_at, t.id`,
      [listId, now, HISTORY_DAYS],
    );
    return rows;
  }
}

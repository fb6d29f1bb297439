import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { productKey } from '../common/product-key';
import { Purchase } from './repurchase';

const HISTORY_DAYS = 400;

@Injectable()
export class SuggestionsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Everything the list's trips bought in the last ~13 months, oldest first. */
  async purchases(listId: string, now: Date): Promise<Purchase[]> {
    const rows: { key: string; name: string; unit: string; at: Date; tripId: string }[] = await this.dataSource.query(
      `SELECT ti.product_key AS key, ti.name, ti.unit, t.completed_at AS at, t.id AS "tripId"
         FROM trip_items ti JOIN trips t ON t.id = ti.trip_id
        WHERE t.list_id = $1 AND t.completed_at > $2::timestamptz - make_interval(days => $3)
        ORDER BY t.completed_at, t.id`,
      [listId, now, HISTORY_DAYS],
    );
    return rows;
  }

  /** Product keys of the items on the list now. */
  async onList(listId: string): Promise<Set<string>> {
    const rows: { name: string }[] = await this.dataSource.query(`SELECT name FROM items WHERE list_id = $1`, [listId]);
    return new Set(rows.map((row) => productKey(row.name)));
  }
}

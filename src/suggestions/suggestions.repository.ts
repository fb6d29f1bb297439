import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Injectable } from '@nestjs/common';
import { HistorySummary, ProductSummary } from './repurchase';

/** How much of a list's history one request may read. */
export interface HistoryLimits {
  /** Trips completed within this many days … */
  days: number;
  /** … at most this many of the most recent ones … */
  trips: number;
  /** … and at most this many products, the most recently bought. */
  products: number;
}

/**
 * The trips a request reads (the index on (list_id, completed_at DESC, id DESC) stops at the
 * limit) and their purchases, one per product and day the way `summarize` counts them.
 */
const RECENT_PURCHASES = `
  WITH recent AS (
    SELECT id, completed_at FROM trips
     WHERE list_id = $1 AND completed_at > $2::timestamptz - make_interval(days => $3)
     ORDER BY completed_at DESC, id DESC
     LIMIT $4
  ), bought AS (
    SELECT ti.product_key AS key, ti.name, ti.unit, ti.item_id, r.completed_at AS at, r.id AS trip_id,
           floor(extract(epoch FROM r.completed_at) / 86400)::int AS day
      FROM recent r JOIN trip_items ti ON ti.trip_id = r.id
     WHERE ti.product_key <> ''
  )`;

/** Reads what a list's trips bought (`TripsRepository` writes it), summarized in SQL. */
@Injectable()
export class SuggestionsRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  /**
   * The list's recent history as `suggestFrom` scores it, aggregated by PostgreSQL: a row per
   * product (at most `limits.products`) and the shopping days, whatever the trips held. Per
   * product: the latest purchase, its distinct days, and the median gap between them, exactly
   * as `summarize` computes them from the purchases.
   */
  async history(listId: string, now: Date, limits: HistoryLimits): Promise<HistorySummary> {
    const window = [listId, now, limits.days, limits.trips];
    const products: ProductSummary[] = await this.txHost.tx.query(
      `${RECENT_PURCHASES}, days AS (
         SELECT DISTINCT key, day FROM bought
       ), gaps AS (
         SELECT key, day - lag(day) OVER (PARTITION BY key ORDER BY day) AS gap FROM days
       ), per_product AS (
         SELECT key, count(*)::int AS times,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY gap) AS median_gap
           FROM gaps GROUP BY key
       ), latest AS (
         SELECT DISTINCT ON (key) key, name, unit, at FROM bought ORDER BY key, at DESC, trip_id DESC, item_id DESC
       )
       SELECT l.key, l.name, l.unit, l.at AS latest, p.times AS "timesBought",
              p.median_gap AS "medianGapDays"
         FROM per_product p JOIN latest l USING (key)
        ORDER BY l.at DESC, l.key
        LIMIT $5`,
      [...window, limits.products],
    );
    const days: { day: number }[] = await this.txHost.tx.query(
      `${RECENT_PURCHASES} SELECT DISTINCT day FROM bought ORDER BY day`,
      window,
    );
    return { products, shoppingDays: days.map((row) => row.day) };
  }
}

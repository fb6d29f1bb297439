import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/**
 * Fixed-window counters kept in PostgreSQL, so a limit holds across every instance
 * behind the load balancer.
 */
@Injectable()
export class RateLimitRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Counts one hit on `key` and returns the hits in the current window (including this one). */
  async hit(key: string, windowMs: number): Promise<number> {
    const rows: { hits: number }[] = await this.dataSource.query(
      `INSERT INTO rate_limits (key, hits, window_start) VALUES ($1, 1, now())
       ON CONFLICT (key) DO UPDATE SET
         hits = CASE WHEN rate_limits.window_start <= now() - make_interval(secs => $2 / 1000.0) THEN 1 ELSE rate_limits.hits + 1 END,
         window_start = CASE WHEN rate_limits.window_start <= now() - make_interval(secs => $2 / 1000.0) THEN now() ELSE rate_limits.window_start END
       RETURNING hits`,
      [key, windowMs],
    );
    return rows[0].hits;
  }

  /** Takes back one hit (an attempt that turned out fine). */
  async refund(key: string): Promise<void> {
    await this.dataSource.query(`UPDATE rate_limits SET hits = greatest(hits - 1, 0) WHERE key = $1`, [key]);
  }
}

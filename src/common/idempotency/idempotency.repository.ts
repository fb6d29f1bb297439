import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

export interface StoredRequest {
  requestHash: string;
  statusCode: number | null;
  response: unknown;
  expired: boolean;
}

@Injectable()
export class IdempotencyRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Claims the key for this request; false when it is already taken. */
  async claim(scope: string, key: string, requestHash: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO idempotency_keys (scope, key, request_hash) VALUES ($1, $2, $3)
       ON CONFLICT (scope, key) DO NOTHING RETURNING 1`,
      [scope, key, requestHash],
    );
    return rows.length > 0;
  }

  async find(scope: string, key: string, ttlMs: number): Promise<StoredRequest | null> {
    const rows: StoredRequest[] = await this.dataSource.query(
      `SELECT request_hash AS "requestHash", status_code AS "statusCode", response,
              created_at < now() - make_interval(secs => $3 / 1000.0) AS expired
         FROM idempotency_keys WHERE scope = $1 AND key = $2`,
      [scope, key, ttlMs],
    );
    return rows[0] ?? null;
  }

  async complete(scope: string, key: string, statusCode: number, response: unknown): Promise<void> {
    await this.dataSource.query(
      `UPDATE idempotency_keys SET status_code = $3, response = $4 WHERE scope = $1 AND key = $2`,
      [scope, key, statusCode, JSON.stringify(response ?? null)],
    );
  }

  async release(scope: string, key: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2`, [scope, key]);
  }

  async purge(ttlMs: number): Promise<void> {
    await this.dataSource.query(
      `DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1 / 1000.0)`,
      [ttlMs],
    );
  }
}

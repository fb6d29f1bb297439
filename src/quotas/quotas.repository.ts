import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Injectable } from '@nestjs/common';

/**
 * Counts what a quota bounds, each under the row lock that serialises the writes it counts:
 * the list's row (taken FOR NO KEY UPDATE, the lock every write of the list takes anyway to
 * append its event; inserts that reference the list are not blocked by it) or the user's
 * row. Under READ COMMITTED the count, a statement after the lock, sees every write that
 * committed before the lock was granted. Reads only: each table keeps its one writer. Every
 * method runs inside the caller's unit of work (the lock lasts until it ends).
 */
@Injectable()
export class QuotasRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  itemsOn(listId: string): Promise<number> {
    return this.countUnderListLock(listId, `SELECT count(*)::int AS n FROM items WHERE list_id = $1`);
  }

  storesOf(listId: string): Promise<number> {
    return this.countUnderListLock(listId, `SELECT count(*)::int AS n FROM stores WHERE list_id = $1`);
  }

  membersOf(listId: string): Promise<number> {
    return this.countUnderListLock(listId, `SELECT count(*)::int AS n FROM list_members WHERE list_id = $1`);
  }

  /** Bytes of the list's receipt files, but those of `exceptTripId` (the receipt being replaced). */
  receiptBytesOf(listId: string, exceptTripId: string): Promise<number> {
    return this.countUnderListLock(
      listId,
      `SELECT coalesce(sum(size), 0)::bigint AS n FROM receipt_files WHERE list_id = $1 AND trip_id <> $2`,
      [exceptTripId],
    );
  }

  /** Lists the user belongs to, counted under the user's row lock. */
  async listsOf(userId: string): Promise<number> {
    this.requireTransaction();
    await this.txHost.tx.query(`SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE`, [userId]);
    return this.count(`SELECT count(*)::int AS n FROM list_members WHERE user_id = $1`, [userId]);
  }

  private async countUnderListLock(listId: string, sql: string, params: unknown[] = []): Promise<number> {
    this.requireTransaction();
    await this.txHost.tx.query(`SELECT 1 FROM lists WHERE id = $1 FOR NO KEY UPDATE`, [listId]);
    return this.count(sql, [listId, ...params]);
  }

  private async count(sql: string, params: unknown[]): Promise<number> {
    const [{ n }]: { n: number | string }[] = await this.txHost.tx.query(sql, params);
    return Number(n);
  }

  /** A lock outside a transaction would be released before the write it guards. */
  private requireTransaction(): void {
    if (!this.txHost.isTransactionActive()) throw new Error('quotas are counted inside the write transaction');
  }
}

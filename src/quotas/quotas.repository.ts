import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Injectable } from '@nestjs/common';
import { PreparedStatement } from '../database/prepared-statement';

const LOCK_LIST = PreparedStatement.declare('quotas.lock-list', `SELECT 1 FROM lists WHERE id = $1 FOR NO KEY UPDATE`);
const STORES_OF = PreparedStatement.declare(
  'quotas.stores-of',
  `SELECT count(*)::int AS n FROM stores WHERE list_id = $1`,
);
const MEMBERS_OF = PreparedStatement.declare(
  'quotas.members-of',
  `SELECT count(*)::int AS n FROM list_members WHERE list_id = $1`,
);
const RECEIPT_BYTES_OF = PreparedStatement.declare(
  'quotas.receipt-bytes-of',
  `SELECT coalesce(sum(size), 0)::bigint AS n FROM receipt_files WHERE list_id = $1 AND trip_id <> $2`,
);
const LOCK_USER = PreparedStatement.declare('quotas.lock-user', `SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE`);
const LISTS_OF = PreparedStatement.declare(
  'quotas.lists-of',
  `SELECT count(*)::int AS n FROM list_members WHERE user_id = $1`,
);

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

  storesOf(listId: string): Promise<number> {
    return this.countUnderListLock(listId, STORES_OF);
  }

  membersOf(listId: string): Promise<number> {
    return this.countUnderListLock(listId, MEMBERS_OF);
  }

  /** Bytes of the list's receipt files, but those of `exceptTripId` (the receipt being replaced). */
  receiptBytesOf(listId: string, exceptTripId: string): Promise<number> {
    return this.countUnderListLock(listId, RECEIPT_BYTES_OF, [exceptTripId]);
  }

  /** Lists the user belongs to, counted under the user's row lock. */
  async listsOf(userId: string): Promise<number> {
    this.requireTransaction();
    await LOCK_USER.run(this.txHost.tx, [userId]);
    return this.count(LISTS_OF, [userId]);
  }

  private async countUnderListLock(listId: string, count: PreparedStatement, params: unknown[] = []): Promise<number> {
    this.requireTransaction();
    await LOCK_LIST.run(this.txHost.tx, [listId]);
    return this.count(count, [listId, ...params]);
  }

  private async count(count: PreparedStatement, params: unknown[]): Promise<number> {
    const [{ n }]: { n: number | string }[] = await count.run(this.txHost.tx, params);
    return Number(n);
  }

  /** A lock outside a transaction would be released before the write it guards. */
  private requireTransaction(): void {
    if (!this.txHost.isTransactionActive()) throw new Error('quotas are counted inside the write transaction');
  }
}

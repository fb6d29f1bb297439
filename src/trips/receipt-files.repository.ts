import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Injectable } from '@nestjs/common';

/** A receipt file's row: its bytes (PostgreSQL store) or null (the object stored under `key`). */
export interface ReceiptFileRow {
  key: string;
  tripId: string;
  listId: string;
  contentType: string;
  size: number;
  bytes: Buffer | null;
  createdAt: Date;
}

export interface StoredReceiptRow {
  contentType: string;
  bytes: Buffer | null;
}

/** An object queued for deletion, and whether a row still names its key (then it is kept). */
export interface DueObjectDeletion {
  key: string;
  kept: boolean;
}

/**
 * The one writer of `receipt_files` and of `receipt_object_deletions`, the outbox of objects to
 * delete from the bucket (which also fills itself: a trigger queues the object of every deleted
 * row, whichever statement or cascade deleted it). Every method takes part in the caller's
 * transaction, or runs on its own when there is none.
 */
@Injectable()
export class ReceiptFilesRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  async insert(file: ReceiptFileRow): Promise<void> {
    await this.txHost.tx.query(
      `INSERT INTO receipt_files (key, trip_id, list_id, content_type, size, bytes, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [file.key, file.tripId, file.listId, file.contentType, file.size, file.bytes, file.createdAt],
    );
  }

  /** The trip's file under `key`, with its bytes when they are kept here; null when there is none. */
  async find(tripId: string, key: string): Promise<StoredReceiptRow | null> {
    const rows: { content_type: string; bytes: Buffer | null }[] = await this.txHost.tx.query(
      `SELECT content_type, bytes FROM receipt_files WHERE key = $1 AND trip_id = $2`,
      [key, tripId],
    );
    return rows.length === 0 ? null : { contentType: rows[0].content_type, bytes: rows[0].bytes };
  }

  /** Removes the trip's file; an object's key is queued for deletion in the same transaction (trigger). */
  async delete(tripId: string, key: string): Promise<void> {
    await this.txHost.tx.query(`DELETE FROM receipt_files WHERE key = $1 AND trip_id = $2`, [key, tripId]);
  }

  /**
   * Before an object is written: its deletion after `notBefore`, unless a unit of work claims it
   * first. Committed at once, outside any transaction the caller may have open.
   */
  async expectUpload(key: string, notBefore: Date): Promise<void> {
    await this.txHost.withoutTransaction(() =>
      this.txHost.tx.query(`INSERT INTO receipt_object_deletions (key, not_before) VALUES ($1, $2)`, [key, notBefore]),
    );
  }

  /**
   * Inside the unit of work that stores the object's row: cancels its pending deletion. False
   * when it was no longer pending (a sweeper deleted the object): the row must not be stored.
   * The sweeper holds the entry's lock while it deletes, so this waits for it, then says false.
   */
  async claimUpload(key: string): Promise<boolean> {
    const [, deleted]: [unknown, number] = await this.txHost.tx.query(
      `DELETE FROM receipt_object_deletions WHERE key = $1 AND not_before IS NOT NULL`,
      [key],
    );
    return deleted === 1;
  }

  /** Queues the object for deletion now (an upload whose unit of work failed), outside any transaction. */
  async queueDeletion(key: string): Promise<void> {
    await this.txHost.withoutTransaction(() =>
      this.txHost.tx.query(
        `INSERT INTO receipt_object_deletions (key, not_before) VALUES ($1, NULL)
         ON CONFLICT (key) DO UPDATE SET not_before = NULL`,
        [key],
      ),
    );
  }

  /**
   * Queues the objects that no row names (found by listing the bucket). A row committed
   * meanwhile is harmless: the sweeper keeps any object a row names.
   */
  async queueOrphans(keys: string[]): Promise<number> {
    if (keys.length === 0) return 0;
    const queued: unknown[] = await this.txHost.tx.query(
      `INSERT INTO receipt_object_deletions (key, not_before)
       SELECT k, NULL FROM unnest($1::text[]) AS k
       WHERE NOT EXISTS (SELECT 1 FROM receipt_files f WHERE f.key = k)
       ON CONFLICT (key) DO NOTHING
       RETURNING key`,
      [keys],
    );
    return queued.length;
  }

  /**
   * Up to `limit` deletions due at `now`, locked until the caller's transaction ends; other
   * instances skip them (SKIP LOCKED), so each is handled once at a time across the cluster.
   */
  async lockDueDeletions(now: Date, limit: number): Promise<DueObjectDeletion[]> {
    const rows: { key: string; kept: boolean }[] = await this.txHost.tx.query(
      `SELECT d.key, EXISTS (SELECT 1 FROM receipt_files f WHERE f.key = d.key) AS kept
       FROM receipt_object_deletions d
       WHERE d.not_before IS NULL OR d.not_before <= $1
       ORDER BY d.key
       LIMIT $2
       FOR UPDATE OF d SKIP LOCKED`,
      [now, limit],
    );
    return rows;
  }

  /** The objects are gone (or kept on purpose): their deletions are done. */
  async forgetDeletions(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.txHost.tx.query(`DELETE FROM receipt_object_deletions WHERE key = ANY($1::text[])`, [keys]);
  }
}

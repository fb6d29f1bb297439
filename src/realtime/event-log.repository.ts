import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { EPHEMERAL_CHANNEL, EVENTS_CHANNEL, ListEvent, ListEventPayloads, ListEventType } from './list-events';

/** Where a list's log stands: its current seq and the oldest seq still retained. */
export interface LogPosition {
  seq: number;
  oldest: number | null;
}

/**
 * The per-list event log. `append` runs inside the caller's transaction: it bumps the
 * list's counter (the row lock serialises writers, so commit order is seq order and there
 * are no gaps), stores the event and queues a NOTIFY that PostgreSQL sends only on commit.
 * A rolled-back write leaves no event and no notification.
 */
@Injectable()
export class EventLog {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async append<T extends ListEventType>(
    tx: EntityManager,
    listId: string,
    type: T,
    payload: ListEventPayloads[T],
    actorId: string | null,
  ): Promise<number> {
    const [rows]: [{ seq: string }[], number] = await tx.query(
      `UPDATE lists SET seq = seq + 1, updated_at = now() WHERE id = $1 RETURNING seq`,
      [listId],
    );
    if (rows.length === 0) throw new Error(`list ${listId} vanished inside its own transaction`);
    const seq = Number(rows[0].seq);
    await tx.query(`INSERT INTO list_events (list_id, seq, type, payload, actor_id) VALUES ($1, $2, $3, $4, $5)`, [
      listId,
      seq,
      type,
      JSON.stringify(payload),
      actorId,
    ]);
    await tx.query(`SELECT pg_notify($1, $2)`, [EVENTS_CHANNEL, JSON.stringify({ l: listId, s: seq })]);
    return seq;
  }

  /** A deleted list has no log left: its sockets are closed through the ephemeral channel, on commit. */
  async notifyDeleted(tx: EntityManager, listId: string): Promise<void> {
    await tx.query(`SELECT pg_notify($1, $2)`, [EPHEMERAL_CHANNEL, JSON.stringify({ l: listId, t: 'list:deleted' })]);
  }

  /** Events after `afterSeq`, oldest first. */
  async after(listId: string, afterSeq: number, limit: number): Promise<ListEvent[]> {
    const rows: (Omit<ListEvent, 'seq'> & { seq: string })[] = await this.dataSource.query(
      `SELECT type, payload, seq FROM list_events WHERE list_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [listId, afterSeq, limit],
    );
    return rows.map((row) => ({ ...row, seq: Number(row.seq) }) as ListEvent);
  }

  /** The list's current seq and the oldest seq still in the log (null: no list). */
  async position(listId: string): Promise<LogPosition | null> {
    const rows: { seq: string; oldest: string | null }[] = await this.dataSource.query(
      `SELECT l.seq, (SELECT min(e.seq) FROM list_events e WHERE e.list_id = l.id) AS oldest FROM lists l WHERE l.id = $1`,
      [listId],
    );
    if (rows.length === 0) return null;
    return { seq: Number(rows[0].seq), oldest: rows[0].oldest === null ? null : Number(rows[0].oldest) };
  }

  /** Current seq of each list that still exists. */
  async heads(listIds: string[]): Promise<Map<string, number>> {
    if (listIds.length === 0) return new Map();
    const rows: { id: string; seq: string }[] = await this.dataSource.query(
      `SELECT id, seq FROM lists WHERE id = ANY($1::uuid[])`,
      [listIds],
    );
    return new Map(rows.map((row) => [row.id, Number(row.seq)]));
  }

  /**
   * Drops events older than `maxAgeMs` and all but the newest `maxPerList` of each list.
   * One instance at a time (advisory lock); returns the number removed, or null when
   * another instance holds the lock.
   */
  async trim(maxAgeMs: number, maxPerList: number): Promise<number | null> {
    return this.dataSource.transaction(async (tx) => {
      const [{ locked }]: { locked: boolean }[] = await tx.query(
        `SELECT pg_try_advisory_xact_lock(hashtext('cartsync:trim-events')) AS locked`,
      );
      if (!locked) return null;
      const [, byAge]: [unknown, number] = await tx.query(
        `DELETE FROM list_events WHERE created_at < now() - make_interval(secs => $1 / 1000.0)`,
        [maxAgeMs],
      );
      const [, byCount]: [unknown, number] = await tx.query(
        `DELETE FROM list_events e USING lists l WHERE e.list_id = l.id AND e.seq <= l.seq - $1`,
        [maxPerList],
      );
      return byAge + byCount;
    });
  }
}

import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Injectable } from '@nestjs/common';
import { EPHEMERAL_CHANNEL, EventActor, EVENTS_CHANNEL, StoredEvent } from './stored-event';
import { PreparedStatement } from '../database/prepared-statement';

/**
 * The counter's bump, the event's row and its notification in one round trip (the write path
 * made three of them before; the semantics are those of the three statements in a row).
 */
export const APPEND = PreparedStatement.declare(
  'events.append',
  `WITH bumped AS (
     UPDATE lists SET seq = seq + 1, updated_at = now() WHERE id = $1 RETURNING id, seq
   ), appended AS (
     INSERT INTO list_events (list_id, seq, type, payload, actor_id, actor_session)
     SELECT id, seq, $2, $3, $4, $5 FROM bumped
     RETURNING list_id, seq
   )
   SELECT seq, pg_notify($6, json_build_object('l', list_id, 's', seq)::text) FROM appended`,
);

/** Where a list's log stands: its current seq and the oldest seq still retained. */
export interface LogPosition {
  seq: number;
  oldest: number | null;
}

/**
 * The per-list event log. `append` takes part in the caller's transaction: it bumps the
 * list's counter (the row lock serialises writers, so commit order is seq order and there
 * are no gaps), stores the event and queues a NOTIFY that PostgreSQL sends only on commit.
 * A rolled-back write leaves no event and no notification.
 */
/**
 * A page of a list's log after a seq: every wake of a room (each write's fan-out) and every
 * replay reads one, so PostgreSQL plans it once per connection.
 */
const AFTER = PreparedStatement.declare(
  'events.after',
  `SELECT type, payload, seq, actor_session AS "actorSession"
     FROM list_events WHERE list_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
);

@Injectable()
export class EventLogRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  /** `actor`: who made the change, and from which session (the app's own connection gets no echo of it). */
  async append(listId: string, type: string, payload: unknown, actor: EventActor | null): Promise<number> {
    this.requireTransaction();
    const rows: { seq: string }[] = await APPEND.run(this.txHost.tx, [
      listId,
      type,
      JSON.stringify(payload),
      actor?.id ?? null,
      actor?.sessionId ?? null,
      EVENTS_CHANNEL,
    ]);
    if (rows.length === 0) throw new Error(`list ${listId} vanished inside its own transaction`);
    return Number(rows[0].seq);
  }

  /** A deleted list has no log left: its sockets are closed through the ephemeral channel, on commit. */
  async notifyDeleted(listId: string): Promise<void> {
    this.requireTransaction();
    await this.notify(EPHEMERAL_CHANNEL, { l: listId, t: 'list:deleted' });
  }

  /** A small ephemeral message to every instance, at once or on commit when inside a transaction (under 8 kB). */
  async notify(channel: string, message: object): Promise<void> {
    await this.txHost.tx.query(`SELECT pg_notify($1, $2)`, [channel, JSON.stringify(message)]);
  }

  /** Several small messages on one channel in one statement (each under 8 kB). */
  async notifyAll(channel: string, messages: object[]): Promise<void> {
    if (messages.length === 0) return;
    await this.txHost.tx.query(`SELECT pg_notify($1, m) FROM unnest($2::text[]) AS m`, [
      channel,
      messages.map((message) => JSON.stringify(message)),
    ]);
  }

  /** Events after `afterSeq`, oldest first. */
  async after(listId: string, afterSeq: number, limit: number): Promise<StoredEvent[]> {
    const rows: { type: string; payload: unknown; seq: string; actorSession: string | null }[] = await AFTER.run(
      this.txHost.tx,
      [listId, afterSeq, limit],
    );
    return rows.map((row) => ({ ...row, seq: Number(row.seq) }));
  }

  /** The list's current seq and the oldest seq still in the log (null: no list). */
  async position(listId: string): Promise<LogPosition | null> {
    const rows: { seq: string; oldest: string | null }[] = await this.txHost.tx.query(
      `SELECT l.seq, (SELECT min(e.seq) FROM list_events e WHERE e.list_id = l.id) AS oldest FROM lists l WHERE l.id = $1`,
      [listId],
    );
    if (rows.length === 0) return null;
    return { seq: Number(rows[0].seq), oldest: rows[0].oldest === null ? null : Number(rows[0].oldest) };
  }

  /** Current seq of each list that still exists. */
  async heads(listIds: string[]): Promise<Map<string, number>> {
    if (listIds.length === 0) return new Map();
    const rows: { id: string; seq: string }[] = await this.txHost.tx.query(
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
    return this.txHost.withTransaction(async () => {
      const [{ locked }]: { locked: boolean }[] = await this.txHost.tx.query(
        `SELECT pg_try_advisory_xact_lock(hashtext('cartsync:trim-events')) AS locked`,
      );
      if (!locked) return null;
      const [, byAge]: [unknown, number] = await this.txHost.tx.query(
        `DELETE FROM list_events WHERE created_at < now() - make_interval(secs => $1 / 1000.0)`,
        [maxAgeMs],
      );
      const [, byCount]: [unknown, number] = await this.txHost.tx.query(
        `DELETE FROM list_events e USING lists l WHERE e.list_id = l.id AND e.seq <= l.seq - $1`,
        [maxPerList],
      );
      return byAge + byCount;
    });
  }

  /** An event outside a transaction could commit without its write, or the write without it. */
  private requireTransaction(): void {
    if (!this.txHost.isTransactionActive()) throw new Error('list events are appended inside the write transaction');
  }
}

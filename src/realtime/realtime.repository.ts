import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Injectable } from '@nestjs/common';

/** A connection's row in `ws_connections`: which instance holds it, on which list, for whom. */
export interface ConnectionRow {
  id: string;
  instanceId: string;
  listId: string;
  userId: string;
}

export type Reservation = 'reserved' | 'user-full' | 'list-full';

export interface TicketGrant {
  userId: string;
  sessionId: string;
  listId: string;
}

/** Tickets, connection registry (presence across instances) and the small checks sockets need. */
@Injectable()
export class RealtimeRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  async createTicket(ticketHash: string, grant: TicketGrant, expiresAt: Date): Promise<void> {
    await this.txHost.tx.query(
      `INSERT INTO ws_tickets (ticket_hash, user_id, session_id, list_id, expires_at) VALUES ($1, $2, $3, $4, $5)`,
      [ticketHash, grant.userId, grant.sessionId, grant.listId, expiresAt],
    );
  }

  /** Single use on every instance: the row is deleted by the one that redeems it. */
  async redeemTicket(ticketHash: string, now: Date): Promise<TicketGrant | null> {
    const [rows]: [TicketGrant[], number] = await this.txHost.tx.query(
      `DELETE FROM ws_tickets WHERE ticket_hash = $1
       RETURNING user_id AS "userId", session_id AS "sessionId", list_id AS "listId", expires_at > $2 AS live`,
      [ticketHash, now],
    );
    const row = rows[0] as (TicketGrant & { live: boolean }) | undefined;
    return row?.live ? { userId: row.userId, sessionId: row.sessionId, listId: row.listId } : null;
  }

  async itemOnList(listId: string, itemId: string): Promise<boolean> {
    const rows: unknown[] = await this.txHost.tx.query(`SELECT 1 FROM items WHERE id = $1 AND list_id = $2`, [
      itemId,
      listId,
    ]);
    return rows.length > 0;
  }

  /**
   * Registers a connection unless its user already has `maxPerUser` live connections, or its
   * list `maxPerList`, on any instance (rows not refreshed within `liveWithinMs` belong to an
   * instance that stopped, and do not count). Advisory locks on the user and on the list, always
   * in that order, serialise the count and the insert: racing handshakes cannot overshoot. In a
   * transaction of its own, so the row is visible to every instance's count as soon as it returns.
   */
  async reserveConnection(
    row: ConnectionRow,
    limits: { maxPerUser: number; maxPerList: number },
    liveWithinMs: number,
  ): Promise<Reservation> {
    return this.txHost.withTransaction(async () => {
      for (const key of [`ws-user:${row.userId}`, `ws-list:${row.listId}`]) {
        await this.txHost.tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [key]);
      }
      // A statement after the locks: it sees every reservation committed before they were granted.
      const [live]: { user: number; list: number }[] = await this.txHost.tx.query(
        `SELECT count(*) FILTER (WHERE user_id = $1)::int AS user, count(*) FILTER (WHERE list_id = $2)::int AS list
           FROM ws_connections
          WHERE (user_id = $1 OR list_id = $2) AND seen_at > now() - make_interval(secs => $3 / 1000.0)`,
        [row.userId, row.listId, liveWithinMs],
      );
      if (live.user >= limits.maxPerUser) return 'user-full';
      if (live.list >= limits.maxPerList) return 'list-full';
      await this.txHost.tx.query(
        `INSERT INTO ws_connections (id, instance_id, list_id, user_id) VALUES ($1, $2, $3, $4)`,
        [row.id, row.instanceId, row.listId, row.userId],
      );
      return 'reserved';
    });
  }

  async unregisterConnection(id: string): Promise<void> {
    await this.txHost.tx.query(`DELETE FROM ws_connections WHERE id = $1`, [id]);
  }

  /** Many connections that closed together, in one statement. */
  async unregisterConnections(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.txHost.tx.query(`DELETE FROM ws_connections WHERE id = ANY($1::uuid[])`, [ids]);
  }

  /**
   * Marks the connections this instance holds as seen. Rows of instances that stopped
   * heartbeating go stale, and so does a row this instance no longer holds (an admitted
   * handshake whose release failed): stale rows count for no limit and no presence.
   */
  async heartbeat(instanceId: string, connectionIds: string[]): Promise<void> {
    await this.txHost.tx.query(
      `UPDATE ws_connections SET seen_at = now() WHERE instance_id = $1 AND id = ANY($2::uuid[])`,
      [instanceId, connectionIds],
    );
  }

  async forgetInstance(instanceId: string): Promise<void> {
    await this.txHost.tx.query(`DELETE FROM ws_connections WHERE instance_id = $1`, [instanceId]);
  }

  /** Who is connected to the list now, on any instance that is still heartbeating. */
  async presence(
    listId: string,
    staleAfterMs: number,
  ): Promise<{ users: { id: string; name: string }[]; connections: number }> {
    const rows: { id: string; name: string; connections: number }[] = await this.txHost.tx.query(
      `SELECT u.id, u.name, count(*)::int AS connections
         FROM ws_connections c JOIN users u ON u.id = c.user_id
        WHERE c.list_id = $1 AND c.seen_at > now() - make_interval(secs => $2 / 1000.0)
        GROUP BY u.id, u.name ORDER BY u.name, u.id`,
      [listId, staleAfterMs],
    );
    return {
      users: rows.map((row) => ({ id: row.id, name: row.name })),
      connections: rows.reduce((sum, row) => sum + row.connections, 0),
    };
  }

  /** The last seq this session's socket provably received on this list, if acknowledged after `after`. */
  async lastAck(sessionId: string, listId: string, after: Date): Promise<number | null> {
    const rows: { seq: string }[] = await this.txHost.tx.query(
      `SELECT seq FROM ws_acks WHERE session_id = $1 AND list_id = $2 AND acked_at > $3`,
      [sessionId, listId, after],
    );
    return rows[0] ? Number(rows[0].seq) : null;
  }

  /** Records proven receipts (one statement for a heartbeat round); a seq never moves back. */
  async saveAcks(acks: { sessionId: string; listId: string; seq: number }[], now: Date): Promise<void> {
    if (acks.length === 0) return;
    await this.txHost.tx.query(
      `INSERT INTO ws_acks (session_id, list_id, seq, acked_at)
       SELECT a.session_id, a.list_id, a.seq, $4
         FROM unnest($1::uuid[], $2::uuid[], $3::bigint[]) AS a (session_id, list_id, seq)
         JOIN sessions s ON s.id = a.session_id JOIN lists l ON l.id = a.list_id
       ON CONFLICT (session_id, list_id)
       DO UPDATE SET seq = greatest(ws_acks.seq, excluded.seq), acked_at = excluded.acked_at`,
      [acks.map((a) => a.sessionId), acks.map((a) => a.listId), acks.map((a) => a.seq), now],
    );
  }

  /** Housekeeping: expired tickets, and connection rows of instances that stopped heartbeating. */
  async deleteExpired(staleConnectionMs: number, ackWindowMs: number): Promise<void> {
    await this.txHost.tx.query(`DELETE FROM ws_acks WHERE acked_at < now() - make_interval(secs => $1 / 1000.0)`, [
      ackWindowMs,
    ]);
    await this.txHost.tx.query(`DELETE FROM ws_tickets WHERE expires_at < now()`);
    await this.txHost.tx.query(
      `DELETE FROM ws_connections WHERE seen_at < now() - make_interval(secs => $1 / 1000.0)`,
      [staleConnectionMs],
    );
  }
}

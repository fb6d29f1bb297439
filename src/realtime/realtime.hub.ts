import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../common/clock/clock';
import { realtimeConfig } from '../config/realtime.config';
import { ListAccess } from '../access/list-access.service';
import { EventLogRepository, LogPosition } from '../events/event-log.repository';
import { Metrics } from '../metrics/metrics';
import { EPHEMERAL_CHANNEL, EVENTS_CHANNEL, StoredEvent } from '../events/stored-event';
import { FrameRenderers } from './frame-renderers';
import { CloseCode, ListConnection } from './list-connection';
import { EphemeralPayloads } from './list-events';
import { PgListener } from './pg-listener';
import type { Handshake } from './realtime-handshake';
import { LIVE_WITHIN_HEARTBEATS, RealtimeInstance } from './realtime-instance';
import { RealtimeRepository } from './realtime.repository';

const PAGE = 500;
const CLOSE_GRACE_MS = 1000;
const STALL_CHECK_MS = 25;

/** What instances tell each other over the ephemeral channel. */
type EphemeralMessage =
  /** `x`: the sending connection; `s`: its session (the app's other connection of that session gets no relay). */
  | { l: string; t: 'item:checking'; p: EphemeralPayloads['item:checking']; x: string; s: string }
  | { l: string; t: 'presence' }
  | { l: string; t: 'list:deleted' };

/** `list:updated` with a member list: someone joined, left or was removed. */
function changesMembers(event: StoredEvent): boolean {
  return event.type === 'list:updated' && (event.payload as { members?: unknown }).members !== undefined;
}

/** The sockets of one list on this instance, and the serialised pump that feeds them. */
class Room {
  readonly connections = new Set<ListConnection>();
  /** Re-checks paused (slow) connections while there are any. */
  stallTimer: NodeJS.Timeout | null = null;
  private pending = false;
  private running: Promise<void> | null = null;

  constructor(readonly listId: string) {}

  /** Runs `pump` until no wake-up is pending; concurrent wakes coalesce, runs never overlap. */
  wake(pump: (room: Room) => Promise<void>): Promise<void> {
    this.pending = true;
    this.running ??= (async () => {
      try {
        while (this.pending) {
          this.pending = false;
          await pump(this);
        }
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }
}

/**
 * Delivers each list's event log to this instance's sockets, in seq order, exactly once per
 * connection. PostgreSQL NOTIFY ({listId, seq}) wakes a list; the log is the source of
 * truth, so a lost notification (listener reconnect) or a late joiner (`since`) is served
 * by reading the log from the connection's cursor. A periodic sweep catches anything else.
 */
@Injectable()
export class RealtimeHub implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly instanceId: string;
  private readonly logger = new Logger(RealtimeHub.name);
  private readonly rooms = new Map<string, Room>();
  private readonly timers: NodeJS.Timeout[] = [];
  /** Connections that left, by id, with their list: their rows and presence are written in batches. */
  private readonly leaving = new Map<string, string>();
  private leavesFlushing: Promise<void> | null = null;

  constructor(
    private readonly log: EventLogRepository,
    private readonly renderers: FrameRenderers,
    private readonly repository: RealtimeRepository,
    private readonly listener: PgListener,
    private readonly access: ListAccess,
    private readonly clock: Clock,
    @Inject(realtimeConfig.KEY) private readonly config: ConfigType<typeof realtimeConfig>,
    instance: RealtimeInstance,
    private readonly metrics: Metrics,
  ) {
    this.instanceId = instance.id;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.listener.listen([EVENTS_CHANNEL, EPHEMERAL_CHANNEL], (channel, payload) =>
      this.onNotification(channel, payload),
    );
    this.listener.onReconnect(() => this.wakeAll());
    this.every(this.config.sweepMs, () => this.sweep());
    this.every(this.config.heartbeatMs, () =>
      this.repository.heartbeat(
        this.instanceId,
        this.connections().map((c) => c.id),
      ),
    );
    this.every(this.config.trimIntervalMs, async () => {
      await this.log.trim(this.config.eventRetentionMs, this.config.eventRetentionMax);
      await this.repository.deleteExpired(this.config.heartbeatMs * 10, this.config.resumeWindowMs);
    });
  }

  /** Sockets go before the HTTP server closes (it would wait for them): a close frame, then a cut. */
  async beforeApplicationShutdown(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.closeAll(CloseCode.GoingAway, 'server shutting down');
    for (
      let waited = 0;
      waited < CLOSE_GRACE_MS && this.connections().some((c) => c.ws.readyState !== c.ws.CLOSED);
      waited += 20
    ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    for (const connection of this.connections()) connection.ws.terminate();
    await this.repository.forgetInstance(this.instanceId).catch(() => undefined);
  }

  /**
   * Subscribes a connection at `position`, read before the handshake completed, so an event
   * committed after the client saw the socket open is never skipped. Without a start it gets
   * what happens after that. With `since`, every event after it first — or `resync` when
   * that part of the log is gone or older than the user's membership. With `resume` (the
   * app's reconnect), what it missed since its last proven receipt, when still in the log.
   */
  async join(connection: ListConnection, start: Handshake['start'], position: LogPosition, joinedSeq: number) {
    const { since, resume } = start;
    if (since !== undefined) {
      const replayable = this.replayable(since, position, joinedSeq);
      connection.cursor = replayable ? since : position.seq;
      if (!replayable) connection.send({ type: 'resync', payload: { seq: position.seq } });
    } else {
      connection.cursor = resume !== undefined && this.replayable(resume, position, joinedSeq) ? resume : position.seq;
    }
    if (connection.cursor < position.seq) this.metrics.replayed(since !== undefined ? 'since' : 'resume');
    let room = this.rooms.get(connection.listId);
    if (!room) {
      room = new Room(connection.listId);
      this.rooms.set(connection.listId, room);
    }
    // Its row in ws_connections was written by the handshake, before the 101 (SocketSlots).
    room.connections.add(connection);
    if (!connection.open) return this.leave(connection);
    await this.broadcast({ l: connection.listId, t: 'presence' });
    await this.wake(connection.listId);
  }

  /** Whether delivery can start after `seq`: nothing missing from the log, nothing from before the user joined. */
  private replayable(seq: number, position: LogPosition, joinedSeq: number): boolean {
    if (seq < joinedSeq || seq > position.seq) return false;
    return seq === position.seq || (position.oldest !== null && seq + 1 >= position.oldest);
  }

  async leave(connection: ListConnection): Promise<void> {
    const room = this.rooms.get(connection.listId);
    if (!room?.connections.delete(connection)) return;
    if (room.connections.size === 0) {
      this.rooms.delete(connection.listId);
      if (room.stallTimer) clearTimeout(room.stallTimer);
    }
    this.leaving.set(connection.id, connection.listId);
    await this.flushLeaves();
  }

  /**
   * Writes the leaves queued meanwhile, one batch at a time: one DELETE for their rows and one
   * presence message per list. Thousands of sockets closing together (a proxy restart, a
   * network cut) cost a few statements instead of two each. Two each held the pool: closing
   * 10,000 idle sockets at once (npm run bench, idle memory), 9,740 leaves failed with the pool's
   * "timeout exceeded when trying to connect", their rows left to go stale, and everything else
   * needing a pool connection queued behind them.
   */
  private flushLeaves(): Promise<void> {
    this.leavesFlushing ??= (async () => {
      try {
        while (this.leaving.size > 0) {
          const batch = new Map(this.leaving);
          this.leaving.clear();
          await this.repository.unregisterConnections([...batch.keys()]);
          const lists = [...new Set(batch.values())];
          await this.log.notifyAll(
            EPHEMERAL_CHANNEL,
            lists.map((l): EphemeralMessage => ({ l, t: 'presence' })),
          );
        }
      } finally {
        this.leavesFlushing = null;
      }
    })();
    return this.leavesFlushing;
  }

  /** Relays `item:checking` to the list's other connections on every instance. */
  async relayChecking(connection: ListConnection, itemId: string): Promise<void> {
    const message: EphemeralMessage = {
      l: connection.listId,
      t: 'item:checking',
      p: { itemId, userId: connection.user.id },
      x: connection.id,
      s: connection.user.sessionId,
    };
    await this.broadcast(message);
  }

  connections(): ListConnection[] {
    return [...this.rooms.values()].flatMap((room) => [...room.connections]);
  }

  closeAll(code: number, reason: string): void {
    for (const connection of this.connections()) connection.close(code, reason);
  }

  private wake(listId: string): Promise<void> {
    const room = this.rooms.get(listId);
    return room ? room.wake((r) => this.pump(r)) : Promise.resolve();
  }

  private wakeAll(): void {
    for (const listId of this.rooms.keys())
      void this.wake(listId).catch((error: unknown) => this.pumpFailed(listId, error));
  }

  /**
   * Reads the log from the furthest-behind active connection and hands each event to each
   * connection. A connection whose buffer is full is paused (not fed, not skipped) and does
   * not hold the others back; it resumes from its cursor once it drains.
   */
  private async pump(room: Room): Promise<void> {
    for (;;) {
      const active = [...room.connections].filter((c) => c.open && !c.stalled);
      if (active.length > 0) {
        const stored = await this.log.after(room.listId, Math.min(...active.map((c) => c.cursor)), PAGE);
        const events = await this.renderers.render(stored);
        if (events.some(changesMembers)) await this.enforceMembership(room);
        for (const event of events) {
          for (const connection of active) connection.deliver(event);
        }
        if (stored.length === PAGE) continue;
      }
      this.watchStalls(room);
      return;
    }
  }

  private watchStalls(room: Room): void {
    if (room.stallTimer || ![...room.connections].some((c) => c.stalled)) return;
    room.stallTimer = setTimeout(() => {
      room.stallTimer = null;
      const now = this.clock.now().getTime();
      const outcomes = [...room.connections].map((c) => c.checkStall(now));
      if (outcomes.includes('resumed'))
        void this.wake(room.listId).catch((error: unknown) => this.pumpFailed(room.listId, error));
      else this.watchStalls(room);
    }, STALL_CHECK_MS);
    room.stallTimer.unref();
  }

  /**
   * A member who left or was removed loses every socket on the list, before anything
   * committed after their removal (the new invite code) is sent to them. Decided from who is
   * a member now, never from the member lists of events being replayed.
   */
  private async enforceMembership(...rooms: Room[]): Promise<void> {
    const members = await this.access.membersOf(rooms.map((room) => room.listId));
    for (const room of rooms) {
      const current = members.get(room.listId);
      for (const connection of room.connections) {
        if (current && !current.has(connection.user.id)) {
          connection.close(CloseCode.Removed, 'no longer a member of this list');
        }
      }
    }
  }

  private onNotification(channel: string, raw: string): void {
    try {
      if (channel === EVENTS_CHANNEL) {
        const { l } = JSON.parse(raw) as { l: string };
        if (this.rooms.has(l)) void this.wake(l).catch((error: unknown) => this.pumpFailed(l, error));
        return;
      }
      const message = JSON.parse(raw) as EphemeralMessage;
      const room = this.rooms.get(message.l);
      if (!room) return;
      switch (message.t) {
        case 'item:checking':
          for (const c of room.connections) {
            if (c.id === message.x || (!c.fullStream && c.user.sessionId === message.s)) continue;
            c.sendEphemeral('item:checking', message.p);
          }
          break;
        case 'presence':
          void this.sendPresence(room);
          break;
        case 'list:deleted':
          for (const c of room.connections) c.close(CloseCode.ListDeleted, 'list deleted');
          break;
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'ignored a malformed notification');
    }
  }

  private async sendPresence(room: Room): Promise<void> {
    try {
      const liveWithinMs = this.config.heartbeatMs * LIVE_WITHIN_HEARTBEATS;
      const presence = await this.repository.presence(room.listId, liveWithinMs);
      for (const connection of room.connections) connection.sendEphemeral('presence', presence);
    } catch (error) {
      this.logger.warn({ err: error }, 'presence lookup failed');
    }
  }

  /**
   * Safety net behind NOTIFY: wake lists whose head moved, close lists that are gone, and
   * re-check membership. Only the rooms whose heads were read are judged: a room opened
   * while the query ran is not "gone".
   */
  private async sweep(): Promise<void> {
    const listIds = [...this.rooms.keys()];
    const heads = await this.log.heads(listIds);
    const rooms = listIds.flatMap((listId) => this.rooms.get(listId) ?? []);
    for (const room of rooms) {
      const head = heads.get(room.listId);
      if (head === undefined) {
        for (const c of room.connections) c.close(CloseCode.ListDeleted, 'list deleted');
      } else if ([...room.connections].some((c) => c.open && c.cursor < head)) {
        void this.wake(room.listId).catch((error: unknown) => this.pumpFailed(room.listId, error));
      }
    }
    await this.enforceMembership(...rooms.filter((room) => heads.has(room.listId)));
  }

  /** A small ephemeral message to every instance (NOTIFY payloads must stay under 8 kB). */
  private broadcast(message: EphemeralMessage): Promise<void> {
    return this.log.notify(EPHEMERAL_CHANNEL, message);
  }

  private pumpFailed(listId: string, error: unknown): void {
    this.logger.warn({ err: error, listId }, 'delivery paused; the sweep will retry');
  }

  private every(ms: number, task: () => Promise<void>): void {
    const timer = setInterval(() => {
      task().catch((error: unknown) => this.logger.warn({ err: error }, 'periodic realtime task failed'));
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }
}

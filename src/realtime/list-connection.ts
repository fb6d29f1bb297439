import { randomUUID } from 'node:crypto';
import { WebSocket } from 'ws';
import { AuthUser } from '../common/decorators/current-user.decorator';
import { TokenBucket } from '../common/rate-limit/token-bucket';
import type { StoredEvent } from '../events/stored-event';
import { EphemeralPayloads } from './list-events';

/** Close codes a client acts on (docs/REALTIME.md). */
export const CloseCode = {
  GoingAway: 1001,
  PolicyViolation: 1008,
  /** Fell too far behind: reconnect with `?since=<last seq>`. */
  Resume: 4000,
  /** The session ended (logout, reset, revoked): sign in again. */
  SessionEnded: 4401,
  /** No longer a member of the list (left or removed). */
  Removed: 4403,
  /** The list was deleted. */
  ListDeleted: 4404,
} as const;

export interface ConnectionLimits {
  maxBufferedBytes: number;
  slowReaderMs: number;
  checkingPerSecond: number;
}

/**
 * What the app's own connection is not sent back of its session's changes: it appends the
 * answer of its own request, and an echo (often arriving first) would show the item twice.
 */
const NO_ECHO = new Set(['item:added', 'item:updated', 'item:removed', 'list:updated']);

/**
 * An event's frame, serialised once for every socket it goes to: a write reaches each member's
 * devices (20 sockets in the fan-out bench), and each used to serialise it again. Sent as bytes
 * (ws then frames them without converting them per socket) in a text frame, as every frame is.
 */
const frames = new WeakMap<StoredEvent, Buffer>();

function frameOf(event: StoredEvent): Buffer {
  let frame = frames.get(event);
  if (!frame) {
    frame = Buffer.from(JSON.stringify({ type: event.type, payload: event.payload, seq: event.seq }));
    frames.set(event, frame);
  }
  return frame;
}

/** One WebSocket subscribed to one list: its position in the list's log and its limits. */
export class ListConnection {
  /** The seq of the last durable event this socket was sent, or passed over as an echo. */
  cursor = 0;
  /** The highest seq the client's pong proved received (heartbeat pings carry the cursor). */
  acked = -1;
  /** Whether it answered the last heartbeat ping. */
  alive = true;
  /** Since when its send buffer has been over the limit (delivery to it is paused meanwhile). */
  stalledSince: number | null = null;
  readonly checking: TokenBucket;

  constructor(
    readonly ws: WebSocket,
    readonly listId: string,
    readonly user: AuthUser,
    private readonly limits: ConnectionLimits,
    /** Milliseconds now, from the app's Clock. */
    private readonly now: () => number,
    /** Asked for the whole stream (`since` or a ticket): echoes included, seq gap-free. */
    readonly fullStream = true,
    /** Its row in ws_connections (reserved by the handshake). */
    readonly id: string = randomUUID(),
    /** Told the type of every frame sent (Metrics.frameSent). */
    private readonly sent: (type: string) => void = () => undefined,
  ) {
    this.checking = new TokenBucket(limits.checkingPerSecond, now);
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  get stalled(): boolean {
    return this.stalledSince !== null;
  }

  /**
   * Sends the next durable event, or pauses this connection (false: nothing sent, cursor
   * unchanged) while its send buffer is over the limit. Frames are never skipped.
   */
  deliver(event: StoredEvent): boolean {
    if (!this.open || event.seq <= this.cursor) return true;
    if (this.stalled) return false;
    if (this.ws.bufferedAmount > this.limits.maxBufferedBytes) {
      this.stalledSince = this.now();
      return false;
    }
    if (this.isEcho(event)) {
      this.cursor = event.seq;
      return true;
    }
    if (event.seq !== this.cursor + 1 && this.fullStream) {
      this.send({ type: 'resync', payload: { seq: event.seq - 1 } });
    }
    if (this.open) {
      this.ws.send(frameOf(event), { binary: false });
      this.sent(event.type);
    }
    this.cursor = event.seq;
    return true;
  }

  /** A change this connection's own session made, which the app's kind of connection is not sent back. */
  isEcho(event: Pick<StoredEvent, 'type' | 'actorSession'>): boolean {
    return !this.fullStream && event.actorSession === this.user.sessionId && NO_ECHO.has(event.type);
  }

  /**
   * A paused connection resumes once its buffer drained to half the limit; one that stays
   * over it for `slowReaderMs` is closed with 4000 (resume with `since`) at its cursor.
   */
  checkStall(now = this.now()): 'resumed' | 'waiting' | 'closed' {
    if (!this.stalled) return 'resumed';
    if (!this.open) return 'closed';
    if (this.ws.bufferedAmount <= this.limits.maxBufferedBytes / 2) {
      this.stalledSince = null;
      return 'resumed';
    }
    if (now - this.stalledSince! < this.limits.slowReaderMs) return 'waiting';
    this.close(CloseCode.Resume, 'too far behind: reconnect with since');
    return 'closed';
  }

  sendEphemeral<T extends keyof EphemeralPayloads>(type: T, payload: EphemeralPayloads[T]): void {
    if (this.open && this.ws.bufferedAmount <= this.limits.maxBufferedBytes) this.send({ type, payload });
  }

  send(frame: { type: string; payload?: unknown; seq?: number }): void {
    if (!this.open) return;
    this.ws.send(JSON.stringify(frame));
    this.sent(frame.type);
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING)
      this.ws.close(code, reason);
  }
}

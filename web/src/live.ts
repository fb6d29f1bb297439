/**
 * The live connection to one list: a single-use ticket from POST /ws/ticket (the long-lived
 * token never goes in a URL), `since` = the last seq seen, so a reconnect misses nothing.
 */
import { api } from './api.js';
import type { Frame } from './types.js';

const PING_MS = 25_000;
const MAX_BACKOFF_MS = 10_000;
/** Close codes after which reconnecting cannot help (docs/REALTIME.md). */
const FINAL_CLOSES = new Set([4401, 4403, 4404]);

export interface LiveHandlers {
  frame(frame: Frame): void;
  status(connected: boolean): void;
  /** The server could not replay from our seq, or refused for good: reload the list. */
  lost(code: number): void;
}

export class LiveList {
  private socket: WebSocket | null = null;
  private stopped = false;
  private backoffMs = 500;
  private retry: number | undefined;
  private ping: number | undefined;

  constructor(
    readonly listId: string,
    private seq: number,
    private readonly handlers: LiveHandlers,
  ) {}

  get lastSeq(): number {
    return this.seq;
  }

  /** After a reload (resync): continue from the list's current seq. */
  resetSeq(seq: number): void {
    this.seq = seq;
  }

  start(): void {
    this.stopped = false;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.retry);
    this.drop();
  }

  /** Closes the socket now and opens a fresh one (the network came back). */
  reconnect(): void {
    if (this.stopped) return;
    this.drop();
    this.backoffMs = 500;
    window.clearTimeout(this.retry);
    void this.connect();
  }

  /** Tells the others that this user is about to check the item (ephemeral). */
  checking(itemId: string): void {
    this.send({ type: 'item:checking', payload: { itemId } });
  }

  private send(frame: Frame): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(frame));
  }

  private drop(): void {
    window.clearInterval(this.ping);
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onclose = null;
      socket.onmessage = null;
      socket.close();
    }
    this.handlers.status(false);
  }

  private async connect(): Promise<void> {
    if (this.stopped || this.socket) return;
    let ticket: string;
    try {
      ticket = (await api<{ ticket: string }>('POST', '/ws/ticket', { listId: this.listId })).ticket;
    } catch {
      this.schedule();
      return;
    }
    if (this.stopped || this.socket) return;
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const query = new URLSearchParams({ ticket, since: String(this.seq) });
    const socket = new WebSocket(`${scheme}://${location.host}/ws/lists/${this.listId}?${query.toString()}`);
    this.socket = socket;
    socket.onopen = () => {
      this.backoffMs = 500;
      this.handlers.status(true);
      this.ping = window.setInterval(() => this.send({ type: 'ping' }), PING_MS);
    };
    socket.onmessage = (message: MessageEvent) => this.receive(message.data);
    socket.onclose = (event: CloseEvent) => {
      if (this.socket !== socket) return;
      this.socket = null;
      window.clearInterval(this.ping);
      this.handlers.status(false);
      if (FINAL_CLOSES.has(event.code)) {
        this.stopped = true;
        this.handlers.lost(event.code);
      } else {
        this.schedule();
      }
    };
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string') return;
    let frame: Frame;
    try {
      frame = JSON.parse(data) as Frame;
    } catch {
      return;
    }
    if (typeof frame.seq === 'number') {
      // Replays and live frames arrive in order; anything at or below what we hold is old.
      if (frame.seq <= this.seq) return;
      this.seq = frame.seq;
    }
    if (frame.type === 'resync') {
      this.handlers.lost(0);
      return;
    }
    this.handlers.frame(frame);
  }

  private schedule(): void {
    if (this.stopped) return;
    window.clearTimeout(this.retry);
    this.retry = window.setTimeout(() => void this.connect(), this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
  }
}

import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import type { TestApp } from './app';
import { eventually } from './eventually';

/* eslint-disable @typescript-eslint/no-explicit-any -- frames are whatever the server sent; tests assert their shape */
export interface Frame {
  type: string;
  payload?: any;
  seq?: number;
}

/** A handshake the server answered with an HTTP status instead of an upgrade. */
export class RefusedHandshake extends Error {
  constructor(
    readonly status: number | undefined,
    readonly body: any,
    readonly headers: Record<string, string | string[] | undefined> = {},
  ) {
    super(`handshake refused with ${status}`);
  }
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** The consecutive seqs `from` through `to`. */
export function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

export function wsUrl(t: TestApp, path: string): string {
  const { port } = t.app.getHttpServer().address() as AddressInfo;
  return `ws://127.0.0.1:${port}${path}`;
}

/** A real `ws` client that records every frame it receives. */
export class TestSocket {
  readonly frames: Frame[] = [];
  closeCode: number | undefined;
  /** Heartbeat pings the server sent (answered by `ws` itself, as by the app's clients). */
  serverPings = 0;
  private readonly closed: Promise<number>;

  private constructor(readonly ws: WebSocket) {
    // The app reads text frames only (React Native hands a binary one over as an ArrayBuffer):
    // one sent as binary is recorded as such, and no expected frame list matches it.
    ws.on('message', (data: Buffer, isBinary: boolean) =>
      this.frames.push(isBinary ? { type: '(a binary frame)' } : (JSON.parse(data.toString('utf8')) as Frame)),
    );
    ws.on('ping', () => this.serverPings++);
    this.closed = new Promise((resolve) =>
      ws.on('close', (code) => {
        this.closeCode = code;
        resolve(code);
      }),
    );
  }

  /** Opens `/ws/lists/:listId` with the given query; rejects with the HTTP status and body when refused. */
  static open(url: string, headers: Record<string, string> = {}): Promise<TestSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      const socket = new TestSocket(ws);
      ws.once('open', () => resolve(socket));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => reject(new RefusedHandshake(res.statusCode, body ? JSON.parse(body) : null, res.headers)));
      });
      ws.once('error', (error) => reject(error));
    });
  }

  /** Durable frames (those with a seq), in arrival order. */
  durable(): Frame[] {
    return this.frames.filter((f) => typeof f.seq === 'number');
  }

  /** The seqs of the durable frames, in arrival order. */
  seqs(): number[] {
    return this.durable().map((f) => f.seq!);
  }

  send(frame: object): void {
    this.ws.send(JSON.stringify(frame));
  }

  async waitFor(predicate: (frames: Frame[]) => boolean, timeoutMs = 5000, what = 'frames'): Promise<void> {
    await eventually(
      () => {
        if (predicate(this.frames)) return;
        const closed = this.closeCode === undefined ? '' : ` (closed with ${this.closeCode})`;
        throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.frames.slice(-5))}${closed}`);
      },
      { timeoutMs, intervalMs: 10 },
    );
  }

  /**
   * Sends a ping and waits for its pong. The server answers frames in order on one socket, so
   * every frame it sent this socket before (a close included) has arrived by then: the sync
   * point that shows something did not happen.
   */
  async sync(timeoutMs = 5000): Promise<void> {
    const pongs = () => this.frames.filter((f) => f.type === 'pong').length;
    const before = pongs();
    this.send({ type: 'ping' });
    await this.waitFor(() => pongs() > before, timeoutMs, 'pong');
  }

  /**
   * Waits until the server's heartbeat pinged this socket `count` more times. A round pings a
   * socket only if it answered the previous ping (it cuts it otherwise), and re-checks its
   * session right after: each ping shows the rounds before it kept this socket.
   */
  heartbeats(count: number, timeoutMs = 5000): Promise<void> {
    const target = this.serverPings + count;
    return this.waitFor(() => this.serverPings >= target, timeoutMs, `${count} heartbeat pings`);
  }

  /** Waits until a durable frame with this seq arrived. */
  waitForSeq(seq: number, timeoutMs = 5000): Promise<void> {
    return this.waitFor((frames) => frames.some((f) => f.seq === seq), timeoutMs, `seq ${seq}`);
  }

  async waitForClose(timeoutMs = 5000): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.closed,
        new Promise<number>((_, reject) => {
          timer = setTimeout(() => reject(new Error('socket did not close')), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): Promise<number> {
    this.ws.close();
    return this.waitForClose();
  }
}

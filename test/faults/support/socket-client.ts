import type { IncomingMessage } from 'node:http';
import { WebSocket } from 'ws';
import type { ConnEntry, History } from './history';
import type { Endpoint, HttpClient } from './http-client';
import type { Random } from './random';
import { sleep, waitFor } from './timing';

export interface DeviceSocketOptions {
  id: string;
  userId: string;
  token: string;
  listId: string;
  endpoints: Endpoint[];
  home: number;
  history: History;
  /** The device's HTTP client, for reloading the list. */
  http: HttpClient;
  /** A socket that heard nothing (no frame, no server ping) this long is dropped and reopened. */
  silenceMs: number;
  random: Random;
  /** Reconnect in a loop: the device closes each connection after a random lifetime in this range. */
  churnMs?: [number, number];
  /**
   * Once removed from the list (4403, or a handshake answered 404): `reload` as the contract
   * says (drop the list, GET it until a member again, carry on from its seq), or `retry`: keep
   * reconnecting with the old `since` (a device that missed the news), so the server alone
   * decides what a re-added member may be sent.
   */
  whenRemoved?: 'reload' | 'retry';
}

type Ending =
  | { kind: 'refused'; status: number }
  | { kind: 'error' }
  | { kind: 'closed'; code: number; byClient: boolean; opened: true };

interface Frame {
  type: string;
  seq?: number;
  payload?: { seq?: number };
}

/**
 * One device's WebSocket to a list, as a well-behaved client keeps it: it always asks for
 * the full stream with `?since=<last applied seq>`, applies a durable frame only when its
 * seq is the next one, and reconnects on any close and when the socket goes silent past the
 * heartbeat, moving to the other instance when its own is gone. On `resync`, and (unless told
 * otherwise) once removed from the list (4403, or a handshake answered 404), it drops what it
 * has, reloads the list (GET, until it is a member again) and carries on from the reloaded seq.
 */
export class DeviceSocket {
  /** The seq of the last durable event applied (or of the last reload). */
  position: number;
  connections = 0;
  private current: number;
  private stopped = false;
  private ws: WebSocket | null = null;
  private closingByClient = false;
  private mustReload = false;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly o: DeviceSocketOptions,
    since: number,
  ) {
    this.position = since;
    this.current = o.home % o.endpoints.length;
  }

  get id(): string {
    return this.o.id;
  }

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.closeByClient(1000);
    await this.loop;
  }

  /** Resolves once this device holds `seq`; false when it did not within `timeoutMs`. */
  reaches(seq: number, timeoutMs: number): Promise<boolean> {
    return waitFor(() => this.position >= seq, timeoutMs);
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      if (this.mustReload) {
        await this.reload();
        if (this.stopped) return;
      }
      const ending = await this.connectOnce();
      if (this.stopped) return;
      const reload = this.o.whenRemoved !== 'retry';
      if (ending.kind === 'closed') {
        failures = 0;
        if (ending.code === 4403 && reload) this.mustReload = true;
        if (ending.code === 1001 || ending.code === 1006) this.moveOn();
        await sleep(50 + this.o.random.int(150));
        continue;
      }
      failures++;
      if (ending.kind === 'refused' && ending.status === 404) {
        if (reload) {
          this.mustReload = true;
          continue;
        }
        failures = 1;
      }
      if (ending.kind === 'error') this.moveOn();
      await sleep(Math.min(100 * failures, 1000));
    }
  }

  private moveOn(): void {
    this.current = (this.current + 1) % this.o.endpoints.length;
  }

  /** GET the list until it answers 200 (a removed member gets 404 until re-added); carry on from its seq. */
  private async reload(): Promise<void> {
    while (!this.stopped) {
      const op = await this.o.http.operation(
        'reload',
        { socket: this.o.id },
        {
          method: 'GET',
          path: `/lists/${this.o.listId}`,
          retryOn: [404],
          keep: (body) => ({ seq: (body as { seq: number }).seq }),
        },
      );
      if (op.outcome === 'ok' && op.seq !== undefined) {
        this.position = op.seq;
        this.mustReload = false;
        return;
      }
    }
  }

  private record(event: ConnEntry['event'], conn: number, instance: string, extra: Partial<ConnEntry> = {}): void {
    this.o.history.record({
      kind: 'conn',
      socket: this.o.id,
      user: this.o.userId,
      conn,
      instance,
      t: Date.now(),
      event,
      ...extra,
    });
  }

  private closeByClient(code: number): void {
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    this.closingByClient = true;
    if (ws.readyState === WebSocket.OPEN && code !== 1006) ws.close(code);
    else ws.terminate();
  }

  private connectOnce(): Promise<Ending> {
    const conn = ++this.connections;
    const endpoint = this.o.endpoints[this.current];
    const since = this.position;
    const url = `ws://127.0.0.1:${endpoint.port}/ws/lists/${this.o.listId}?token=${this.o.token}&since=${since}`;
    return new Promise<Ending>((resolve) => {
      const ws = new WebSocket(url, { handshakeTimeout: 5000 });
      this.ws = ws;
      this.closingByClient = false;
      let settled = false;
      let opened = false;
      let silence: NodeJS.Timeout | undefined;
      let churn: NodeJS.Timeout | undefined;
      const settle = (ending: Ending) => {
        if (settled) return;
        settled = true;
        clearTimeout(silence);
        clearTimeout(churn);
        if (this.ws === ws) this.ws = null;
        resolve(ending);
      };
      const heard = () => {
        clearTimeout(silence);
        silence = setTimeout(() => this.closeByClient(1006), this.o.silenceMs);
      };

      ws.on('open', () => {
        opened = true;
        this.record('open', conn, endpoint.name, { since });
        heard();
        if (this.o.churnMs) {
          const [min, max] = this.o.churnMs;
          churn = setTimeout(() => this.closeByClient(1000), min + this.o.random.int(max - min));
        }
      });
      ws.on('unexpected-response', (_req, res: IncomingMessage) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => {
          const retryAfter = res.headers['retry-after'];
          this.record('refused', conn, endpoint.name, {
            since,
            status: res.statusCode,
            reason: text.slice(0, 300),
            ...(typeof retryAfter === 'string' ? { retryAfter } : {}),
          });
          settle({ kind: 'refused', status: res.statusCode ?? 0 });
          ws.terminate();
        });
      });
      ws.on('error', (error: Error & { code?: string }) => {
        if (opened || settled) return;
        this.record('error', conn, endpoint.name, { since, error: error.code ?? error.message });
        settle({ kind: 'error' });
      });
      ws.on('ping', heard);
      ws.on('message', (data: Buffer) => {
        heard();
        let frame: Frame;
        try {
          frame = JSON.parse(data.toString('utf8')) as Frame;
        } catch {
          frame = { type: 'unparseable' };
        }
        this.o.history.record({
          kind: 'frame',
          socket: this.o.id,
          user: this.o.userId,
          conn,
          instance: endpoint.name,
          t: Date.now(),
          type: frame.type,
          ...(typeof frame.seq === 'number' ? { seq: frame.seq } : {}),
          ...(frame.type === 'resync' ? { resyncSeq: frame.payload?.seq } : {}),
        });
        if (frame.type === 'resync') {
          this.mustReload = true;
          this.closeByClient(1000);
        } else if (typeof frame.seq === 'number') {
          if (frame.seq === this.position + 1) this.position = frame.seq;
          // A gap: resume from what was applied (a duplicate is simply not applied).
          else if (frame.seq > this.position + 1) this.closeByClient(1000);
        }
      });
      ws.on('close', (code: number, reason: Buffer) => {
        if (!opened) {
          if (!settled) {
            this.record('error', conn, endpoint.name, { since, error: `closed ${code} before opening` });
            settle({ kind: 'error' });
          }
          return;
        }
        this.record('close', conn, endpoint.name, {
          code,
          reason: reason.toString('utf8'),
          ...(this.closingByClient ? { byClient: true } : {}),
        });
        settle({ kind: 'closed', code, byClient: this.closingByClient, opened: true });
      });
    });
  }
}

/**
 * The raw baseline of the WebSocket scenarios (fan-out, replay, idle memory): a bare `ws` +
 * `pg` server on the app's database, as fast as we can make it, that the app's socket side
 * is measured against. It serves the app's socket protocol as far as a client needs it:
 *
 * - `GET /ws/lists/:listId?token=<access token>[&since=<seq>]`: the token is verified in-process
 *   (HS256 with the app's JWT_SECRET, a key object built once; `exp` honoured) and one SELECT
 *   reads the list's seq and the caller's membership (404 when not a member, like the app).
 *   No session-liveness lookup, throttle, socket slot or presence: those are the app's
 *   product features, the baseline is the floor.
 * - It LISTENs on the channel the app NOTIFYs (`cartsync_events`, payload `{l, s}`) and reads
 *   the same `list_events` rows, `payload::text` so that a frame is built once by string
 *   concatenation and the same string goes to every socket of the list.
 * - Frames: `{"type", "payload", "seq"}` as the app sends them. The app's connection kind
 *   (`?token=` without `since`) gets no echo of `item:*`/`list:updated` made by its own
 *   session (the token's `sid`); a `since` connection gets every event after `since` first
 *   (one SELECT), then live ones. `{"type":"ping"}` → `{"type":"pong"}`.
 *
 * Environment: DATABASE_URL, JWT_SECRET, HOST (127.0.0.1), PORT (0: a free port). It prints
 * `listening on http://HOST:PORT` and answers `GET /ready` with 200 once LISTEN is up.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { Client, Pool } from 'pg';
import { WebSocket, WebSocketServer } from 'ws';

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);
const EVENTS_CHANNEL = 'cartsync_events';
const NO_ECHO = new Set(['item:added', 'item:updated', 'item:removed', 'list:updated']);
const PATH = /^\/ws\/lists\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/?$/i;

interface Claims {
  sub: string;
  sid: string;
}

/** One socket: where it stands in its list's log, and whose session it is. */
interface Connection {
  ws: WebSocket;
  sessionId: string;
  fullStream: boolean;
  cursor: number;
}

interface Row {
  seq: string;
  type: string;
  actor_session: string | null;
  payload: string;
}

/** A list's sockets and its serialised pump (concurrent wakes coalesce; runs never overlap). */
class Room {
  readonly connections = new Set<Connection>();
  private pending = false;
  private running = false;

  constructor(
    readonly listId: string,
    private readonly pump: (room: Room) => Promise<void>,
  ) {}

  wake(): void {
    this.pending = true;
    if (this.running) return;
    this.running = true;
    void (async () => {
      try {
        while (this.pending) {
          this.pending = false;
          await this.pump(this);
        }
      } catch (error) {
        err(`pump ${this.listId}: ${(error as Error).message}`);
      } finally {
        this.running = false;
      }
    })();
  }
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

/** HS256 JWT check: the algorithm pinned, the signature compared in constant time, `exp` honoured. */
function verifier(secret: string): (token: string) => Claims | null {
  const key = Buffer.from(secret, 'utf8');
  return (token) => {
    const parts = token.split('.');
    if (parts.length !== 3) return null;
    const [header, body, signature] = parts;
    const expected = createHmac('sha256', key).update(`${header}.${body}`).digest();
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    try {
      const head = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: string };
      if (head.alg !== 'HS256') return null;
      const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<Claims> & {
        exp?: number;
      };
      if (typeof claims.sub !== 'string' || typeof claims.sid !== 'string') return null;
      if (typeof claims.exp === 'number' && claims.exp * 1000 <= Date.now()) return null;
      return { sub: claims.sub, sid: claims.sid };
    } catch {
      return null;
    }
  };
}

async function main(): Promise<void> {
  const databaseUrl = required('DATABASE_URL');
  const verify = verifier(required('JWT_SECRET'));
  const host = process.env.HOST ?? '127.0.0.1';
  const port = Number(process.env.PORT ?? '0');
  const pool = new Pool({ connectionString: databaseUrl, max: Number(process.env.DB_POOL_SIZE ?? '10') });
  pool.on('error', () => undefined);
  const rooms = new Map<string, Room>();
  let ready = false;

  const pump = async (room: Room): Promise<void> => {
    const open = [...room.connections].filter((c) => c.ws.readyState === WebSocket.OPEN);
    if (open.length === 0) return;
    let from = open[0].cursor;
    for (const c of open) if (c.cursor < from) from = c.cursor;
    const { rows } = await pool.query<Row>({
      name: 'after',
      text: `SELECT seq, type, actor_session, payload::text AS payload
               FROM list_events WHERE list_id = $1 AND seq > $2 ORDER BY seq`,
      values: [room.listId, from],
    });
    for (const row of rows) {
      const seq = Number(row.seq);
      const frame = `{"type":${JSON.stringify(row.type)},"payload":${row.payload},"seq":${seq}}`;
      const echo = NO_ECHO.has(row.type) ? row.actor_session : null;
      for (const c of open) {
        if (seq <= c.cursor) continue;
        c.cursor = seq;
        if (!c.fullStream && echo !== null && echo === c.sessionId) continue;
        c.ws.send(frame);
      }
    }
  };

  const listener = new Client({ connectionString: databaseUrl, application_name: 'ws-baseline-listener' });
  listener.on('notification', (message) => {
    if (message.channel !== EVENTS_CHANNEL || !message.payload) return;
    const { l } = JSON.parse(message.payload) as { l: string };
    rooms.get(l)?.wake();
  });
  listener.on('error', (error) => {
    err(`listener: ${error.message}`);
    process.exit(1);
  });
  await listener.connect();
  await listener.query(`LISTEN ${EVENTS_CHANNEL}`);

  const wss = new WebSocketServer({ noServer: true, maxPayload: 65_536 });
  const server = createServer((request, response) => {
    const ok = request.url === '/ready' && ready;
    response.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' });
    response.end(ok ? '{"status":"ok"}' : '{"statusCode":404}');
  });

  const refuse = (socket: Duplex, status: number, message: string) => {
    socket.end(
      `HTTP/1.1 ${status} ${message}\r\nConnection: close\r\nContent-Type: application/json\r\n\r\n` +
        JSON.stringify({ statusCode: status, message }),
    );
  };

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const match = PATH.exec(url.pathname);
      if (!match) return refuse(socket, 404, 'Not Found');
      const listId = match[1].toLowerCase();
      const claims = verify(url.searchParams.get('token') ?? '');
      if (!claims) return refuse(socket, 401, 'Unauthorized');
      const sinceText = url.searchParams.get('since');
      if (sinceText !== null && !/^\d{1,15}$/.test(sinceText)) return refuse(socket, 400, 'Bad Request');
      const { rows } = await pool.query<{ seq: string; joined_seq: string }>({
        name: 'member',
        text: `SELECT l.seq, m.joined_seq FROM lists l JOIN list_members m ON m.list_id = l.id
                WHERE l.id = $1 AND m.user_id = $2`,
        values: [listId, claims.sub],
      });
      if (rows.length === 0) return refuse(socket, 404, 'Not Found');
      const head_ = Number(rows[0].seq);
      const since = sinceText === null ? null : Number(sinceText);
      // A `since` outside the member's history or ahead of the log: start at the head (the app sends resync).
      const cursor = since !== null && since >= Number(rows[0].joined_seq) && since <= head_ ? since : head_;
      wss.handleUpgrade(request, socket, head, (ws) => {
        const connection: Connection = { ws, sessionId: claims.sid, fullStream: since !== null, cursor };
        let room = rooms.get(listId);
        if (!room) {
          room = new Room(listId, pump);
          rooms.set(listId, room);
        }
        room.connections.add(connection);
        ws.on('message', (data: Buffer, isBinary: boolean) => {
          if (!isBinary && data.length < 64 && data.toString('utf8').includes('"ping"')) ws.send('{"type":"pong"}');
        });
        ws.on('error', () => ws.terminate());
        ws.on('close', () => {
          const current = rooms.get(listId);
          if (!current) return;
          current.connections.delete(connection);
          if (current.connections.size === 0) rooms.delete(listId);
        });
        // Always: an event committed after the SELECT above may have been notified before this join.
        room.wake();
      });
    })().catch((error: Error) => {
      err(`upgrade: ${error.message}`);
      if (socket.writable) refuse(socket, 500, 'Internal Server Error');
    });
  });

  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  ready = true;
  const address = server.address() as AddressInfo;
  out(`listening on http://${host}:${address.port}`);

  const stop = () => {
    for (const client of wss.clients) client.terminate();
    server.close();
    void listener.end().catch(() => undefined);
    void pool.end().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: Error) => {
  err(error.stack ?? error.message);
  process.exit(1);
});

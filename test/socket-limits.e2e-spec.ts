import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import { eventually } from './support/eventually';
import { expectQuotaRefusal } from './support/expect';
import { TestApp, useTestApp } from './support/app';
import { Registered, registerUser } from './support/factories';
import { ownerAndMember, secondList } from './support/lists';
import { Frame, RefusedHandshake, TestSocket, wsUrl } from './support/ws-client';

/** Sockets opened by the current test; whatever a failing test left open is cut in afterEach. */
const opened: WebSocket[] = [];

afterEach(() => {
  for (const ws of opened.splice(0)) if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
});

const path = (user: Registered, listId = user.listId) => `/ws/lists/${listId}?token=${user.token}`;

async function open(t: TestApp, user: Registered, listId = user.listId): Promise<TestSocket> {
  const socket = await TestSocket.open(wsUrl(t, path(user, listId)));
  opened.push(socket.ws);
  return socket;
}

/** Opens `count` sockets one after the other, each subscribed (its presence frame arrived) before the next. */
async function openMany(t: TestApp, user: Registered, count: number, listId = user.listId): Promise<TestSocket[]> {
  const sockets: TestSocket[] = [];
  for (let i = 0; i < count; i++) {
    const socket = await open(t, user, listId);
    await socket.waitFor((frames) => frames.some((f) => f.type === 'presence'), 5000, 'presence');
    sockets.push(socket);
  }
  return sockets;
}

/** The handshake's refusal (asserted: it must be refused). */
async function refusal(t: TestApp, user: Registered, listId = user.listId): Promise<RefusedHandshake> {
  try {
    const socket = await open(t, user, listId);
    await socket.close();
  } catch (error) {
    if (error instanceof RefusedHandshake) return error;
    throw error;
  }
  throw new Error('the handshake was accepted');
}

function expectRefused(refused: RefusedHandshake, message: string, quota: string, limit: number): void {
  expectQuotaRefusal(refused, message, quota, limit);
}

async function rows(t: TestApp, where = 'true', params: unknown[] = []): Promise<number> {
  const [{ n }]: { n: number }[] = await t.dataSource.query(
    `SELECT count(*)::int AS n FROM ws_connections WHERE ${where}`,
    params,
  );
  return n;
}

const presences = (socket: TestSocket): Frame[] => socket.frames.filter((f) => f.type === 'presence');

/** Waits for a presence frame reporting `connections` on the list, after the ones seen so far. */
async function presenceOf(socket: TestSocket, connections: number, after: number): Promise<void> {
  await socket.waitFor(
    () => presences(socket).some((f, i) => i >= after && f.payload.connections === connections),
    5000,
    `presence with ${connections} connections`,
  );
}

const USER_FULL = (limit: number) =>
  `You already have ${limit} live connections open, the most one account can have; close one and try again.`;
const LIST_FULL = (limit: number) =>
  `This list already has ${limit} live connections open, the most a list can have; close one and try again.`;

describe('socket limits', () => {
  describe('per user, with the default limit (WS_MAX_SOCKETS_PER_USER=20)', () => {
    const t = useTestApp();

    it('should refuse the 21st socket before the upgrade, register nothing, and keep the other 20 working', async () => {
      const { owner: ana, member: bob } = await ownerAndMember(t, { owner: 'Ana', member: 'Bob' });
      const [watcher] = await openMany(t, bob, 1, ana.listId);
      const sockets = await openMany(t, ana, 20);
      await presenceOf(watcher, 21, 0);
      const seen = presences(watcher).length;

      const refused = await refusal(t, ana);

      expectRefused(refused, USER_FULL(20), 'socketsPerUser', 20);
      expect(await rows(t, 'user_id = $1', [ana.userId])).toBe(20);
      await sockets[0].sync();
      await sockets[19].sync();
      // The next presence anyone sees is the close below: the refused socket never joined.
      await sockets[19].close();
      await presenceOf(watcher, 20, seen);
      const counts: unknown[] = presences(watcher)
        .slice(seen)
        .map((f) => f.payload.connections as unknown);
      expect(counts).toEqual([20]);
    });

    it('should count sockets across lists, and free a slot when one closes', async () => {
      const ana = await registerUser(t, { name: 'Ana' });
      const cabin = await secondList(t, ana);
      const sockets = [...(await openMany(t, ana, 10)), ...(await openMany(t, ana, 10, cabin))];
      expectRefused(await refusal(t, ana, cabin), USER_FULL(20), 'socketsPerUser', 20);

      await sockets[19].close();
      // Presence is broadcast once the connection is unregistered: its slot is free from then on.
      await presenceOf(sockets[10], 9, 0);

      await openMany(t, ana, 1);
    });

    it('should not hold a slot for an upgrade that failed after the handshake was admitted', async () => {
      const ana = await registerUser(t, { name: 'Ana' });
      const { port } = t.app.getHttpServer().address() as AddressInfo;
      for (let i = 0; i < 25; i++) {
        // Admitted by the handshake, then refused by the WebSocket layer (no Sec-WebSocket-Version).
        const status = await new Promise<number | undefined>((resolve, reject) => {
          const req = httpRequest({
            port,
            host: '127.0.0.1',
            path: path(ana),
            headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' },
          });
          req.on('response', (res) => {
            res.resume();
            resolve(res.statusCode);
          });
          req.on('error', reject);
          req.end();
        });
        expect(status).toBe(400);
      }

      // The slot is released after the refusal is answered, so the last one may still be on its way.
      await eventually(async () => expect(await rows(t, 'user_id = $1', [ana.userId])).toBe(0));
      await openMany(t, ana, 20);
    });
  });

  describe('with low limits', () => {
    const t = useTestApp({ WS_MAX_SOCKETS_PER_USER: '3', WS_MAX_SOCKETS_PER_LIST: '4' });

    it('should never admit more than the limit when handshakes race', async () => {
      const ana = await registerUser(t, { name: 'Ana' });

      const outcomes = await Promise.allSettled(Array.from({ length: 12 }, () => open(t, ana)));

      const admitted = outcomes.filter((o) => o.status === 'fulfilled');
      const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as RefusedHandshake] : []));
      expect(admitted).toHaveLength(3);
      expect(refused.map((r) => r.status)).toEqual(Array(9).fill(409));
      expect(await rows(t, 'user_id = $1', [ana.userId])).toBe(3);
    });

    it('should refuse a socket past WS_MAX_SOCKETS_PER_LIST, whoever opens it, and not count other lists', async () => {
      const { owner: ana, member: bob } = await ownerAndMember(t, { owner: 'Ana', member: 'Bob' });
      await openMany(t, ana, 3);
      const [bobs] = await openMany(t, bob, 1, ana.listId);

      expectRefused(await refusal(t, bob, ana.listId), LIST_FULL(4), 'socketsPerList', 4);

      expect(await rows(t, 'list_id = $1', [ana.listId])).toBe(4);
      await bobs.sync();
      await openMany(t, bob, 2, bob.listId);
    });

    it('should not count rows left by an instance that stopped heartbeating', async () => {
      const ana = await registerUser(t, { name: 'Ana' });
      await t.dataSource.query(
        `INSERT INTO ws_connections (id, instance_id, list_id, user_id, seen_at)
         SELECT gen_random_uuid(), gen_random_uuid(), $1, $2, now() - interval '1 hour' FROM generate_series(1, 5)`,
        [ana.listId, ana.userId],
      );

      await openMany(t, ana, 3);
    });
  });

  describe('across instances', () => {
    const a = useTestApp({ WS_MAX_SOCKETS_PER_USER: '3' });
    // The same database: a's reset empties it for both.
    const b = useTestApp({ WS_MAX_SOCKETS_PER_USER: '3' }, { reset: false });

    it("should count a user's sockets on every instance", async () => {
      const ana = await registerUser(a, { name: 'Ana' });
      await openMany(a, ana, 2);
      await openMany(b, ana, 1);

      expectRefused(await refusal(a, ana), USER_FULL(3), 'socketsPerUser', 3);
      expectRefused(await refusal(b, ana), USER_FULL(3), 'socketsPerUser', 3);
    });
  });
});

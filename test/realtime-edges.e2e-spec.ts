import { createHash, randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import { RealtimeHub } from '../src/realtime/realtime.hub';
import { RealtimeRepository } from '../src/realtime/realtime.repository';
import { TestApp, useTestApp } from './support/app';
import { appendEvents, appendRolledBack, eventLog } from './support/event-log';
import { eventually } from './support/eventually';
import { expectErrorBody, Registered, registerUser } from './support/factories';
import { addItem, ownerAndMember, seqOf } from './support/lists';
import { Frame, range, RefusedHandshake, TestSocket, wsUrl } from './support/ws-client';

const DAY_MS = 86_400_000;
const EPHEMERAL_TYPES = ['item:checking', 'presence', 'pong'];
const DURABLE_TYPES = ['item:added', 'item:updated', 'item:removed', 'list:updated'];

function ofType(socket: TestSocket, type: string): Frame[] {
  return socket.frames.filter((f) => f.type === type);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Sockets opened by the current test; whatever a failing test left open is cut in afterEach. */
const opened: WebSocket[] = [];

async function openSocket(t: TestApp, path: string, headers: Record<string, string> = {}): Promise<TestSocket> {
  const socket = await TestSocket.open(wsUrl(t, path), headers);
  opened.push(socket.ws);
  return socket;
}

/** The handshake's refusal, or null when it was accepted (the socket is then closed). */
async function refusal(
  t: TestApp,
  path: string,
  headers: Record<string, string> = {},
): Promise<RefusedHandshake | null> {
  try {
    const socket = await openSocket(t, path, headers);
    await socket.close();
    return null;
  } catch (error) {
    if (error instanceof RefusedHandshake) return error;
    throw error;
  }
}

/** Resolves once the server has subscribed the socket (presence is broadcast after the join). */
function joined(socket: TestSocket): Promise<void> {
  return socket.waitFor((frames) => frames.some((f) => f.type === 'presence'), 5000, 'presence');
}

afterEach(() => {
  for (const ws of opened.splice(0)) if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
});

describe('realtime edge cases', () => {
  const t = useTestApp({
    CORS_ORIGINS: 'https://app.example',
    WS_MAX_BUFFERED_BYTES: '65536',
    // Long enough for a busy test process to keep draining, short enough for the close test.
    WS_SLOW_READER_MS: '1500',
    WS_MAX_PAYLOAD: '4096',
    WS_MESSAGES_PER_SEC: '10',
    WS_CHECKING_PER_SEC: '2',
  });

  const socketPath = (user: Registered, query = '', listId = user.listId) =>
    `/ws/lists/${listId}?token=${user.token}${query}`;

  /** Ana's list, joined by Bob. */
  async function shareList(): Promise<{ ana: Registered; bob: Registered }> {
    const { owner: ana, member: bob } = await ownerAndMember(t, { owner: 'Ana', member: 'Bob' });
    return { ana, bob };
  }

  async function eventSeqs(listId: string): Promise<number[]> {
    const rows: { seq: string }[] = await t.dataSource.query(
      `SELECT seq FROM list_events WHERE list_id = $1 ORDER BY seq`,
      [listId],
    );
    return rows.map((r) => Number(r.seq));
  }

  async function storedSeq(listId: string): Promise<number> {
    const [row]: { seq: string }[] = await t.dataSource.query(`SELECT seq FROM lists WHERE id = $1`, [listId]);
    return Number(row.seq);
  }

  // Megabytes of backlog are appended through the app's event log directly: the REST API
  // makes events of about a kilobyte, too slowly to fill the kernel's socket buffers.
  describe('slow readers', () => {
    it('should feed a reader that keeps reading a replay far larger than its buffer limit, without closing it', async () => {
      const ana = await registerUser(t);
      const start = await seqOf(t, ana);
      // ~24 MB of backlog (more than the kernel's socket buffers take) against a 64 KiB limit:
      // written in one go it would overflow, so the reader must be paced, not closed.
      const head = await appendEvents(t, ana.listId, 600, 40_000);
      const reader = await openSocket(t, socketPath(ana, `&since=${start}`));
      await reader.waitForSeq(head, 60_000);
      expect(reader.seqs()).toEqual(range(start + 1, head));
      expect(reader.closeCode).toBeUndefined();
      await reader.close();
    }, 90_000);

    it('should close a reader that stops reading with 4000 after contiguous frames, and resume it with since', async () => {
      const ana = await registerUser(t);
      const start = await seqOf(t, ana);
      const reader = await openSocket(t, socketPath(ana));
      await joined(reader);
      const [server] = t.app
        .get(RealtimeHub)
        .connections()
        .filter((c) => c.listId === ana.listId);
      expect(server.open).toBe(true);

      const tcp = (reader.ws as unknown as { _socket: Socket })._socket;
      tcp.pause();
      // About 1 MB per batch until the kernel buffers are full and the server gives up on the reader,
      // so what is left for the resumed socket is at most one batch, whatever the machine's TCP buffers.
      let head = start;
      for (let batch = 0; server.open; batch++) {
        if (batch === 40) throw new Error('40 MB written and the reader was never closed');
        head = await appendEvents(t, ana.listId, 500, 2000);
        // The server's side of a socket is only visible through the hub.
        await eventually(
          () => {
            if (server.open && server.cursor !== head)
              throw new Error('timed out waiting until the hub delivered the batch');
          },
          { timeoutMs: 10_000, intervalMs: 10 },
        );
      }
      tcp.resume();

      await expect(reader.waitForClose(10_000)).resolves.toBe(4000);
      const received = reader.seqs();
      expect(received.length).toBeGreaterThan(0);
      expect(received.length).toBeLessThan(head - start);
      expect(received).toEqual(range(start + 1, start + received.length));
      const last = received[received.length - 1];

      const resumed = await openSocket(t, socketPath(ana, `&since=${last}`));
      await resumed.waitForSeq(head, 10_000);
      expect(resumed.seqs()).toEqual(range(last + 1, head));
      expect(resumed.closeCode).toBeUndefined();
      await resumed.close();
    });
  });

  describe('flooding', () => {
    it('should answer a burst of exactly 2x WS_MESSAGES_PER_SEC frames and stay open', async () => {
      const ana = await registerUser(t);
      const socket = await openSocket(t, socketPath(ana));
      for (let i = 0; i < 20; i++) socket.send({ type: 'ping' });
      await socket.waitFor((f) => f.filter((x) => x.type === 'pong').length === 20, 5000, '20 pongs');
      expect(socket.closeCode).toBeUndefined();
      await socket.close();
    });

    it('should close a connection that sends more than 2x WS_MESSAGES_PER_SEC frames at once with 1008', async () => {
      const ana = await registerUser(t);
      const socket = await openSocket(t, socketPath(ana));
      for (let i = 0; i < 30; i++) socket.send({ type: 'ping' });
      await expect(socket.waitForClose()).resolves.toBe(1008);
      expect(ofType(socket, 'pong').length).toBeLessThanOrEqual(21);
    });

    it('should accept a frame under WS_MAX_PAYLOAD and close one over it with 1009', async () => {
      const ana = await registerUser(t);
      const socket = await openSocket(t, socketPath(ana));
      socket.send({ type: 'ping', payload: 'x'.repeat(3500) });
      await socket.waitFor((f) => f.some((x) => x.type === 'pong'), 5000, 'pong');
      socket.send({ type: 'ping', payload: 'x'.repeat(5000) });
      await expect(socket.waitForClose()).resolves.toBe(1009);
    });
  });

  describe('item:checking', () => {
    it('should answer an item:checking with a non-UUID or foreign itemId with an error frame and relay nothing', async () => {
      const { ana, bob } = await shareList();
      const foreign = await addItem(t, bob, bob.listId, { name: 'On Bob’s own list' });
      const milk = await addItem(t, ana, ana.listId, { name: 'Milk' });
      const sender = await openSocket(t, socketPath(ana));
      const other = await openSocket(t, socketPath(bob, '', ana.listId));
      await joined(other);

      sender.send({ type: 'item:checking', payload: { itemId: 'not-a-uuid' } });
      sender.send({ type: 'item:checking', payload: { itemId: foreign.id } });
      sender.send({ type: 'item:checking', payload: {} });
      await sender.waitFor((f) => f.filter((x) => x.type === 'error').length === 3, 5000, '3 error frames');
      // Replies are not ordered (the item lookup is asynchronous): compare them as a set.
      expect(
        ofType(sender, 'error')
          .map((f) => f.payload.message as string)
          .sort(),
      ).toEqual([
        'That item is not on this list.',
        'item:checking needs payload.itemId (a UUID).',
        'item:checking needs payload.itemId (a UUID).',
      ]);

      // A valid one afterwards is the only one relayed.
      sender.send({ type: 'item:checking', payload: { itemId: milk.id } });
      await other.waitFor((f) => f.some((x) => x.type === 'item:checking'), 5000, 'the relay');
      expect(ofType(other, 'item:checking')).toEqual([
        { type: 'item:checking', payload: { itemId: milk.id, userId: ana.userId } },
      ]);
      expect(ofType(other, 'error')).toEqual([]);
      await Promise.all([sender.close(), other.close()]);
    });

    it('should relay only the burst WS_CHECKING_PER_SEC allows and answer the rest with error frames', async () => {
      const { ana, bob } = await shareList();
      const milk = await addItem(t, ana, ana.listId, { name: 'Milk' });
      const eggs = await addItem(t, ana, ana.listId, { name: 'Eggs' });
      const sender = await openSocket(t, socketPath(ana));
      const other = await openSocket(t, socketPath(bob, '', ana.listId));
      await joined(other);

      for (let i = 0; i < 10; i++) sender.send({ type: 'item:checking', payload: { itemId: milk.id } });
      await sender.waitFor((f) => f.filter((x) => x.type === 'error').length === 6, 5000, '6 error frames');
      expect(ofType(sender, 'error').every((f) => /rate-limited/.test(f.payload.message))).toBe(true);
      // Once the bucket refills, the next one goes through: every relay of the burst is in by then.
      // A real pause: the connection's token bucket reads Date.now(), not the injected Clock.
      await sleep(600);
      sender.send({ type: 'item:checking', payload: { itemId: eggs.id } });
      await other.waitFor((f) => f.some((x) => x.type === 'item:checking' && x.payload.itemId === eggs.id));
      const relayed = ofType(other, 'item:checking').map((f) => f.payload.itemId as string);
      expect(relayed).toEqual([milk.id, milk.id, milk.id, milk.id, eggs.id]);
      expect(sender.closeCode).toBeUndefined();
      await Promise.all([sender.close(), other.close()]);
    });
  });

  describe('tickets', () => {
    it('should issue a ticket only to a member, with the contract’s errors otherwise', async () => {
      const ana = await registerUser(t);
      const bob = await registerUser(t);
      const before = Date.now();
      const res = await t.http.post('/ws/ticket').set(ana.auth).send({ listId: ana.listId }).expect(201);
      expect(res.body).toEqual({ ticket: expect.any(String), expiresAt: expect.any(String) });
      const expiresAt = Date.parse(res.body.expiresAt);
      expect(expiresAt).toBeGreaterThanOrEqual(before + 59_000);
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + 61_000);

      const noToken = await t.http.post('/ws/ticket').send({ listId: ana.listId }).expect(401);
      expectErrorBody(noToken.body, 401);
      const foreign = await t.http.post('/ws/ticket').set(bob.auth).send({ listId: ana.listId }).expect(404);
      expectErrorBody(foreign.body, 404);
      const bad = await t.http.post('/ws/ticket').set(ana.auth).send({ listId: 'nope' }).expect(400);
      expectErrorBody(bad.body, 400);
      expect(bad.body.details).toEqual([expect.objectContaining({ field: 'listId' })]);
    });

    it('should open the socket once with a ticket and refuse the second use with 401', async () => {
      const ana = await registerUser(t);
      const { ticket } = (await t.http.post('/ws/ticket').set(ana.auth).send({ listId: ana.listId }).expect(201))
        .body as { ticket: string };
      const socket = await openSocket(t, `/ws/lists/${ana.listId}?ticket=${encodeURIComponent(ticket)}`);
      await addItem(t, ana, ana.listId, { name: 'Milk' });
      await socket.waitFor((f) => f.some((x) => x.type === 'item:added'), 5000, 'item:added');
      await socket.close();

      const again = await refusal(t, `/ws/lists/${ana.listId}?ticket=${encodeURIComponent(ticket)}`);
      expect(again).toMatchObject({ status: 401, body: { statusCode: 401 } });
      expectErrorBody(again!.body, 401);
    });

    it('should refuse a ticket issued for another list with 401', async () => {
      const ana = await registerUser(t);
      const other = await t.http.post('/lists').set(ana.auth).send({ name: 'Party' }).expect(201);
      const { ticket } = (await t.http.post('/ws/ticket').set(ana.auth).send({ listId: ana.listId }).expect(201))
        .body as { ticket: string };
      const refused = await refusal(t, `/ws/lists/${other.body.id}?ticket=${encodeURIComponent(ticket)}`);
      expect(refused).toMatchObject({ status: 401, body: { statusCode: 401 } });
    });

    it('should refuse an expired ticket with 401', async () => {
      const ana = await registerUser(t);
      const { ticket } = (await t.http.post('/ws/ticket').set(ana.auth).send({ listId: ana.listId }).expect(201))
        .body as { ticket: string };
      await t.dataSource.query(`UPDATE ws_tickets SET expires_at = now() - interval '1 second'`);
      const refused = await refusal(t, `/ws/lists/${ana.listId}?ticket=${encodeURIComponent(ticket)}`);
      expect(refused).toMatchObject({ status: 401, body: { statusCode: 401 } });
    });

    it('should store only a hash of the ticket', async () => {
      const ana = await registerUser(t);
      const { ticket } = (await t.http.post('/ws/ticket').set(ana.auth).send({ listId: ana.listId }).expect(201))
        .body as { ticket: string };
      const rows: { row: string }[] = await t.dataSource.query(`SELECT t::text AS row FROM ws_tickets t`);
      expect(rows).toHaveLength(1);
      expect(rows[0].row).not.toContain(ticket);
      const [{ hash }]: { hash: string }[] = await t.dataSource.query(`SELECT ticket_hash AS hash FROM ws_tickets`);
      expect(hash).toBe(createHash('sha256').update(ticket).digest('base64url'));
    });
  });

  describe('housekeeping', () => {
    it('should delete expired tickets and the connection rows of instances that stopped heartbeating, and nothing live', async () => {
      const ana = await registerUser(t);
      const live = await t.http.post('/ws/ticket').set(ana.auth).send({ listId: ana.listId }).expect(201);
      const old = await t.http.post('/ws/ticket').set(ana.auth).send({ listId: ana.listId }).expect(201);
      const hash = (ticket: string) => createHash('sha256').update(ticket).digest('base64url');
      await t.dataSource.query(
        `UPDATE ws_tickets SET expires_at = now() - interval '1 second' WHERE ticket_hash = $1`,
        [hash(old.body.ticket as string)],
      );
      const socket = await openSocket(t, socketPath(ana));
      await socket.waitFor((f) => f.some((x) => x.type === 'presence'));
      const ghost = randomUUID();
      await t.dataSource.query(
        `INSERT INTO ws_connections (id, instance_id, list_id, user_id, seen_at) VALUES ($1, $2, $3, $4, now() - interval '1 hour')`,
        [ghost, randomUUID(), ana.listId, ana.userId],
      );

      await t.app.get(RealtimeRepository).deleteExpired(60_000, 600_000);

      const tickets: { ticket_hash: string }[] = await t.dataSource.query(`SELECT ticket_hash FROM ws_tickets`);
      expect(tickets.map((r) => r.ticket_hash)).toEqual([hash(live.body.ticket as string)]);
      const connections: { id: string }[] = await t.dataSource.query(`SELECT id FROM ws_connections`);
      expect(connections).toHaveLength(1);
      expect(connections[0].id).not.toBe(ghost);
      await socket.close();
    });
  });

  describe('Origin', () => {
    it('should accept an allowed Origin and no Origin at all, and refuse a foreign one with 403', async () => {
      const ana = await registerUser(t);
      const allowed = await openSocket(t, socketPath(ana), { Origin: 'https://app.example' });
      await allowed.sync();
      await allowed.close();

      const app = await openSocket(t, socketPath(ana));
      await joined(app);
      await app.close();

      const foreign = await refusal(t, socketPath(ana), { Origin: 'https://evil.example' });
      expect(foreign).toMatchObject({ status: 403, body: { statusCode: 403 } });
      expectErrorBody(foreign!.body, 403);
    });
  });

  describe('subscribing', () => {
    it('should deliver an event committed right after the socket opened, however slow subscribing is', async () => {
      const ana = await registerUser(t);
      await addItem(t, ana, ana.listId, { name: 'Milk' });
      const head = await seqOf(t, ana);
      // Reading the list's position in the log is made slow (latency only: the real query still runs).
      const log = eventLog(t);
      const position = log.position.bind(log);
      const slow = jest.spyOn(log, 'position').mockImplementation(async (listId) => {
        await sleep(300);
        return position(listId);
      });
      try {
        // The full stream (`since`): Ana's own change is sent back to her (the app's kind of socket gets no echo).
        const socket = await openSocket(t, socketPath(ana, `&since=${head}`));
        await addItem(t, ana, ana.listId, { name: 'Eggs' });
        await socket.waitForSeq(head + 1);
        expect(socket.durable().map((f) => [f.type, f.seq, f.payload.name as string])).toEqual([
          ['item:added', head + 1, 'Eggs'],
        ]);
        await socket.close();
      } finally {
        slow.mockRestore();
      }
    });
  });

  describe('since', () => {
    it('should replay nothing when since is the current seq, then deliver live events', async () => {
      const ana = await registerUser(t);
      await addItem(t, ana, ana.listId, { name: 'Milk' });
      await addItem(t, ana, ana.listId, { name: 'Eggs' });
      const head = await seqOf(t, ana);
      const socket = await openSocket(t, socketPath(ana, `&since=${head}`));
      await joined(socket);
      await addItem(t, ana, ana.listId, { name: 'Bread' });
      await socket.waitForSeq(head + 1);
      expect(socket.durable().map((f) => [f.type, f.seq, f.payload.name as string])).toEqual([
        ['item:added', head + 1, 'Bread'],
      ]);
      expect(ofType(socket, 'resync')).toEqual([]);
      await socket.close();
    });

    it('should send resync with the current seq when since is ahead of the list, then live events', async () => {
      const ana = await registerUser(t);
      await addItem(t, ana, ana.listId, { name: 'Milk' });
      const head = await seqOf(t, ana);
      const socket = await openSocket(t, socketPath(ana, `&since=${head + 50}`));
      await socket.waitFor((f) => f.some((x) => x.type === 'resync'), 5000, 'resync');
      await addItem(t, ana, ana.listId, { name: 'Eggs' });
      await socket.waitForSeq(head + 1);
      expect(socket.frames.filter((f) => f.type !== 'presence')).toEqual([
        { type: 'resync', payload: { seq: head } },
        expect.objectContaining({ type: 'item:added', seq: head + 1 }),
      ]);
      await socket.close();
    });

    it('should send resync when since is older than the retained log, and replay when it is just inside', async () => {
      const ana = await registerUser(t);
      for (const name of ['Milk', 'Eggs', 'Bread', 'Jam']) await addItem(t, ana, ana.listId, { name });
      const head = await seqOf(t, ana);
      // Only the last two events are retained.
      await t.dataSource.query(`DELETE FROM list_events WHERE list_id = $1 AND seq <= $2`, [ana.listId, head - 2]);

      const tooOld = await openSocket(t, socketPath(ana, `&since=${head - 3}`));
      await tooOld.waitFor((f) => f.some((x) => x.type === 'resync'), 5000, 'resync');
      const justInside = await openSocket(t, socketPath(ana, `&since=${head - 2}`));
      await justInside.waitForSeq(head);
      await joined(tooOld);

      expect(ofType(tooOld, 'resync')).toEqual([{ type: 'resync', payload: { seq: head } }]);
      expect(tooOld.durable()).toEqual([]);
      expect(justInside.durable().map((f) => [f.seq, f.payload.name as string])).toEqual([
        [head - 1, 'Bread'],
        [head, 'Jam'],
      ]);
      expect(ofType(justInside, 'resync')).toEqual([]);
      await Promise.all([tooOld.close(), justInside.close()]);
    });

    it('should refuse a since that is not a number with 400', async () => {
      const ana = await registerUser(t);
      const refused = await refusal(t, socketPath(ana, '&since=abc'));
      expect(refused).toMatchObject({ status: 400, body: { statusCode: 400 } });
      expectErrorBody(refused!.body, 400);
    });
  });

  describe('event log', () => {
    it('should leave no event, no seq bump and no frame behind a rolled-back write', async () => {
      const ana = await registerUser(t);
      await addItem(t, ana, ana.listId, { name: 'Milk' });
      const head = await seqOf(t, ana);
      const socket = await openSocket(t, socketPath(ana, `&since=${head}`));
      await joined(socket);
      const eventsBefore = await eventSeqs(ana.listId);

      expect(await appendRolledBack(t, ana.listId, ana.userId)).toBe(head + 1);

      expect(await eventSeqs(ana.listId)).toEqual(eventsBefore);
      expect(await storedSeq(ana.listId)).toBe(head);
      await addItem(t, ana, ana.listId, { name: 'Eggs' });
      await socket.waitForSeq(head + 1);
      expect(socket.durable().map((f) => [f.type, f.seq, f.payload.name as string])).toEqual([
        ['item:added', head + 1, 'Eggs'],
      ]);
      await socket.close();
    });

    /** Seeds `count` events after the list's head; the first `old` of them made 10 days old (in SQL). */
    async function seedEvents(listId: string, count: number, old: number): Promise<void> {
      const head = await appendEvents(t, listId, count);
      await t.dataSource.query(
        `UPDATE list_events SET created_at = now() - interval '10 days' WHERE list_id = $1 AND seq <= $2`,
        [listId, head - count + old],
      );
    }

    it('should trim events older than the retention age and all but the newest N of each list', async () => {
      const ana = await registerUser(t);
      const bob = await registerUser(t);
      await t.dataSource.query(`DELETE FROM list_events`);
      await seedEvents(ana.listId, 30, 10);
      await seedEvents(bob.listId, 12, 0);
      const anaHead = await storedSeq(ana.listId);
      const bobBefore = await eventSeqs(bob.listId);

      const removed = await eventLog(t).trim(7 * DAY_MS, 15);

      // Ana: 10 too old, then 5 more beyond the newest 15. Bob: 12 recent ones, under the cap.
      expect(removed).toBe(15);
      expect(await eventSeqs(ana.listId)).toEqual(range(anaHead - 14, anaHead));
      expect(await eventSeqs(bob.listId)).toEqual(bobBefore);
      expect(bobBefore).toHaveLength(12);
    });

    it('should not trim while another instance holds the trim lock', async () => {
      const ana = await registerUser(t);
      await seedEvents(ana.listId, 5, 5);
      const runner = t.dataSource.createQueryRunner();
      await runner.connect();
      try {
        await runner.startTransaction();
        await runner.query(`SELECT pg_advisory_xact_lock(hashtext('cartsync:trim-events'))`);
        await expect(eventLog(t).trim(7 * DAY_MS, 15)).resolves.toBeNull();
        await runner.rollbackTransaction();
      } finally {
        await runner.release();
      }
      expect(await eventSeqs(ana.listId)).toHaveLength(5);
      await expect(eventLog(t).trim(7 * DAY_MS, 15)).resolves.toBe(5);
    });
  });

  describe('membership', () => {
    it('should close every socket of a deleted list with 4404', async () => {
      const { ana, bob } = await shareList();
      const owners = await openSocket(t, socketPath(ana));
      const members = await openSocket(t, socketPath(bob, '', ana.listId));
      await Promise.all([joined(owners), joined(members)]);
      await t.http.delete(`/lists/${ana.listId}`).set(ana.auth).expect(204);
      await expect(owners.waitForClose(2000)).resolves.toBe(4404);
      await expect(members.waitForClose(2000)).resolves.toBe(4404);
    });

    it('should close the leaver’s sockets with 4403 and tell the members who stay', async () => {
      const { ana, bob } = await shareList();
      const anas = await openSocket(t, socketPath(ana));
      const bobsPhone = await openSocket(t, socketPath(bob, '', ana.listId));
      const bobsTablet = await openSocket(t, socketPath(bob, '', ana.listId));
      await Promise.all([joined(anas), joined(bobsPhone), joined(bobsTablet)]);
      const head = await seqOf(t, ana);

      await t.http.post(`/lists/${ana.listId}/leave`).set(bob.auth).expect(204);
      await expect(bobsPhone.waitForClose(1000)).resolves.toBe(4403);
      await expect(bobsTablet.waitForClose(1000)).resolves.toBe(4403);

      await anas.waitForSeq(head + 1);
      const [update] = anas.durable();
      expect(update).toMatchObject({ type: 'list:updated', seq: head + 1, payload: { id: ana.listId } });
      expect(update.payload.members.map((m: { id: string }) => m.id)).toEqual([ana.userId]);
      await anas.sync();
      expect(anas.closeCode).toBeUndefined();
      await anas.close();
    });
  });

  describe('frames', () => {
    it('should put a seq on durable frames and none on item:checking, presence and pong', async () => {
      const { ana, bob } = await shareList();
      const anas = await openSocket(t, socketPath(ana, `&since=${await seqOf(t, ana)}`));
      const bobs = await openSocket(t, socketPath(bob, '', ana.listId));
      await Promise.all([joined(anas), joined(bobs)]);

      const milk = await addItem(t, ana, ana.listId, { name: 'Milk' });
      await t.http.patch(`/lists/${ana.listId}/items/${milk.id}`).set(ana.auth).send({ checked: true }).expect(200);
      await t.http.patch(`/lists/${ana.listId}`).set(ana.auth).send({ name: 'Weekly' }).expect(200);
      await t.http.delete(`/lists/${ana.listId}/items/${milk.id}`).set(ana.auth).expect(204);
      const head = await seqOf(t, ana);
      await anas.waitForSeq(head);
      const eggs = await addItem(t, ana, ana.listId, { name: 'Eggs' });
      await anas.waitForSeq(head + 1);
      bobs.send({ type: 'item:checking', payload: { itemId: eggs.id } });
      anas.send({ type: 'ping' });
      await anas.waitFor(
        (f) => f.some((x) => x.type === 'item:checking') && f.some((x) => x.type === 'pong'),
        5000,
        'item:checking and pong',
      );

      const types = new Set(anas.frames.map((f) => f.type));
      for (const type of [...DURABLE_TYPES, ...EPHEMERAL_TYPES]) expect(types).toContain(type);
      for (const frame of anas.frames) {
        if (DURABLE_TYPES.includes(frame.type)) expect(frame.seq).toEqual(expect.any(Number));
        else if (EPHEMERAL_TYPES.includes(frame.type)) expect(frame).not.toHaveProperty('seq');
        else throw new Error(`unexpected frame ${frame.type}`);
      }
      expect(anas.seqs()).toEqual(range(anas.seqs()[0], head + 1));
      await Promise.all([anas.close(), bobs.close()]);
    });
  });
});

describe('realtime heartbeat', () => {
  const t = useTestApp({ WS_HEARTBEAT_MS: '200', SESSION_CACHE_MS: '0' });

  /** A client that, unlike the app's, never answers the server's pings. */
  function openSilent(path: string): Promise<{ ws: WebSocket; closed: Promise<number> }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(wsUrl(t, path), { autoPong: false });
      opened.push(ws);
      const closed = new Promise<number>((done) => ws.on('close', (code) => done(code)));
      ws.once('open', () => resolve({ ws, closed }));
      ws.once('error', reject);
    });
  }

  function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      promise,
      new Promise<T>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  it('should terminate a peer that does not answer pings within a few intervals, and keep one that does', async () => {
    const ana = await registerUser(t);
    const path = `/ws/lists/${ana.listId}?token=${ana.token}`;
    const healthy = await openSocket(t, path);
    const silent = await openSilent(path);
    const started = Date.now();

    await expect(within(silent.closed, 2000, 'the silent peer being cut')).resolves.toBe(1006);
    expect(Date.now() - started).toBeLessThan(1000);
    // Three more heartbeat rounds found the healthy peer alive and pinged it.
    await healthy.heartbeats(3);
    expect(healthy.closeCode).toBeUndefined();
    await healthy.sync();
    await healthy.close();
  });

  it('should close the sockets of a logged-out session with 4401 and keep those of other sessions', async () => {
    const ana = await registerUser(t);
    const login = await t.http.post('/auth/login').send({ email: ana.email, password: ana.password }).expect(200);
    const otherSession = login.body.token as string;
    const loggedOut = await openSocket(t, `/ws/lists/${ana.listId}?token=${ana.token}`);
    const kept = await openSocket(t, `/ws/lists/${ana.listId}?token=${otherSession}`);

    await t.http.post('/auth/logout').set(ana.auth).send({}).expect(204);
    await expect(loggedOut.waitForClose(1500)).resolves.toBe(4401);
    // The heartbeat re-checks each socket's session right after pinging it, one socket after the
    // other. The round that cut the logged-out socket may have checked `kept` before the logout;
    // the round after it did not, and a close from it would have come before the next round's
    // ping, which is at the latest the third ping from here. A pause would prove nothing.
    await kept.heartbeats(3);
    await kept.sync();
    expect(kept.closeCode).toBeUndefined();
    await kept.close();
  });
});

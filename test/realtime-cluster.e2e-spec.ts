import fc from 'fast-check';
import { useTestApp } from './support/app';
import { eventually } from './support/eventually';
import { Registered } from './support/factories';
import { ownerAndMember, seqOf } from './support/lists';
import { Frame, range, TestSocket, wsUrl } from './support/ws-client';

/** Two server instances on one database, as behind a load balancer. */
describe('realtime across instances', () => {
  // A long sweep, so these tests prove NOTIFY delivery and listener catch-up, not the safety net.
  const a = useTestApp({ REALTIME_SWEEP_MS: '600000' });
  // The same database: a's reset empties it for both.
  const b = useTestApp({ REALTIME_SWEEP_MS: '600000' }, { reset: false });

  /** Ana's list (on instance a), joined by Bob through instance b. */
  async function shareList(): Promise<{ ana: Registered; bob: Registered }> {
    const { owner: ana, member: bob } = await ownerAndMember(a, { owner: 'Ana', member: 'Bob' }, b);
    return { ana, bob };
  }

  /** Full-stream sockets (`since` the list's head): every event, the users' own included. */
  async function openSockets(listId: string, users: Registered[]): Promise<TestSocket[]> {
    const sockets: TestSocket[] = [];
    const since = await seqOf(a, users[0], listId);
    for (const app of [a, b]) {
      for (const user of users)
        sockets.push(await TestSocket.open(wsUrl(app, `/ws/lists/${listId}?token=${user.token}&since=${since}`)));
    }
    return sockets;
  }

  async function listenersConnected(count: number): Promise<void> {
    await eventually(async () => {
      const [{ n }]: { n: number }[] = await a.dataSource.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'cartsync-listener'`,
      );
      if (n < count) throw new Error(`only ${n} listeners connected`);
    });
  }

  it('should deliver every event once, in order, to sockets on both instances for writes through either', async () => {
    const { ana, bob } = await shareList();
    const sockets = await openSockets(ana.listId, [ana, bob]);
    const start = await seqOf(a, ana);
    const writes = Array.from({ length: 30 }, (_, i) => {
      const [app, user] = i % 2 === 0 ? [a, ana] : [b, bob];
      return app.http
        .post(`/lists/${ana.listId}/items`)
        .set(user.auth)
        .send({ name: `item ${i}` })
        .expect(201);
    });
    await Promise.all(writes);
    const head = await seqOf(a, ana);
    expect(head).toBe(start + 30);
    const expected = range(start + 1, start + 30);
    for (const socket of sockets) {
      await socket.waitForSeq(head);
      expect(socket.seqs()).toEqual(expected);
    }
    await Promise.all(sockets.map((s) => s.close()));
  });

  // The last kill comes right before the final writes: their NOTIFYs are sent while no
  // listener is connected (reconnect backoff starts at 100 ms) and nothing is written after,
  // so only the catch-up after reconnecting can deliver them (the sweep is off here).
  it('should not lose an event when the listening connections are killed mid-stream', async () => {
    const { ana, bob } = await shareList();
    const sockets = await openSockets(ana.listId, [ana, bob]);
    const start = await seqOf(a, ana);
    for (let i = 0; i < 40; i++) {
      const [app, user] = i % 2 === 0 ? [a, ana] : [b, bob];
      await app.http
        .post(`/lists/${ana.listId}/items`)
        .set(user.auth)
        .send({ name: `item ${i}` })
        .expect(201);
      if ([5, 15, 25, 36].includes(i)) {
        await listenersConnected(2);
        const killed: unknown[] = await a.dataSource.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'cartsync-listener'`,
        );
        expect(killed.length).toBeGreaterThanOrEqual(2);
      }
    }
    const head = start + 40;
    for (const socket of sockets) {
      await socket.waitForSeq(head, 10_000);
      expect(socket.seqs()).toEqual(range(start + 1, start + 40));
    }
    await Promise.all(sockets.map((s) => s.close()));
  });

  it('should close every socket of a removed member, on every instance, within a second', async () => {
    const { ana, bob } = await shareList();
    const onA = await TestSocket.open(wsUrl(a, `/ws/lists/${ana.listId}?token=${bob.token}`));
    const onB = await TestSocket.open(wsUrl(b, `/ws/lists/${ana.listId}?token=${bob.token}`));
    const since = await seqOf(a, ana);
    const anas = await TestSocket.open(wsUrl(b, `/ws/lists/${ana.listId}?token=${ana.token}&since=${since}`));
    const started = Date.now();
    await a.http.delete(`/lists/${ana.listId}/members/${bob.userId}`).set(ana.auth).expect(204);
    await expect(onA.waitForClose(1000)).resolves.toBe(4403);
    await expect(onB.waitForClose(1000)).resolves.toBe(4403);
    expect(Date.now() - started).toBeLessThan(1000);
    await anas.waitFor((f) => f.some((x) => x.type === 'list:updated' && Array.isArray(x.payload.members)));
    expect(anas.closeCode).toBeUndefined();
    await anas.close();
  });

  it('should relay item:checking to the other connections on both instances, not back to the sender', async () => {
    const { ana, bob } = await shareList();
    const item = await a.http.post(`/lists/${ana.listId}/items`).set(ana.auth).send({ name: 'Milk' }).expect(201);
    const sender = await TestSocket.open(wsUrl(a, `/ws/lists/${ana.listId}?token=${ana.token}`));
    // Ana's other connection on the full stream (the app's kind of connection of her session gets no relay).
    const anasOther = await TestSocket.open(wsUrl(b, `/ws/lists/${ana.listId}?token=${ana.token}&since=0`));
    const bobs = await TestSocket.open(wsUrl(b, `/ws/lists/${ana.listId}?token=${bob.token}`));
    sender.send({ type: 'item:checking', payload: { itemId: item.body.id } });
    const relayed = (f: Frame[]) => f.some((x) => x.type === 'item:checking');
    await bobs.waitFor(relayed);
    await anasOther.waitFor(relayed);
    const frame = bobs.frames.find((x) => x.type === 'item:checking')!;
    expect(frame).toEqual({ type: 'item:checking', payload: { itemId: item.body.id, userId: ana.userId } });
    expect(frame.seq).toBeUndefined();
    await sender.sync();
    expect(relayed(sender.frames)).toBe(false);
    await Promise.all([sender.close(), anasOther.close(), bobs.close()]);
  });

  it('should tell every connection who is present, across instances', async () => {
    const { ana, bob } = await shareList();
    const anas = await TestSocket.open(wsUrl(a, `/ws/lists/${ana.listId}?token=${ana.token}`));
    const bobs = await TestSocket.open(wsUrl(b, `/ws/lists/${ana.listId}?token=${bob.token}`));
    const bothPresent = (f: Frame[]) =>
      f.some((x) => x.type === 'presence' && x.payload.users.length === 2 && x.payload.connections === 2);
    await anas.waitFor(bothPresent);
    await bobs.close();
    await anas.waitFor((f) =>
      f.some((x) => x.type === 'presence' && x.payload.users.length === 1 && x.payload.users[0].id === ana.userId),
    );
    await anas.close();
  });

  describe('random concurrent writers', () => {
    type Item = Record<string, unknown> & { id: string };
    interface State {
      name: string;
      items: Map<string, Item>;
    }

    /** What a client does with the frames: the app's reducer, keyed by id. */
    function apply(state: State, frame: Frame): void {
      switch (frame.type) {
        case 'item:added':
        case 'item:updated':
          state.items.set(frame.payload.id, frame.payload);
          break;
        case 'item:removed':
          state.items.delete(frame.payload.id);
          break;
        case 'list:updated':
          if (frame.payload.name !== undefined) state.name = frame.payload.name;
          break;
      }
    }

    const command = fc.oneof(
      fc.record({
        kind: fc.constant('add' as const),
        name: fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s.trim() !== ''),
      }),
      fc.record({ kind: fc.constant('check' as const), pick: fc.nat(), checked: fc.boolean() }),
      fc.record({ kind: fc.constant('quantity' as const), pick: fc.nat(), quantity: fc.integer({ min: 1, max: 9 }) }),
      fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('rename' as const), name: fc.constantFrom('Weekly', 'Party', 'Camping') }),
    );

    it('should leave every client, applying its frames to its starting snapshot, with exactly GET /lists/:id', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.array(command, { minLength: 1, maxLength: 6 }), { minLength: 2, maxLength: 4 }),
          async (writers) => {
            await a.reset();
            const { ana, bob } = await shareList();
            await a.http.post(`/lists/${ana.listId}/items`).set(ana.auth).send({ name: 'seed' }).expect(201);
            const snapshot = (await a.http.get(`/lists/${ana.listId}`).set(ana.auth).expect(200)).body as {
              seq: number;
              name: string;
              items: Item[];
            };
            const clients = await Promise.all(
              [a, b].map(async (app) => ({
                socket: await TestSocket.open(
                  wsUrl(app, `/ws/lists/${ana.listId}?token=${ana.token}&since=${snapshot.seq}`),
                ),
                state: {
                  name: snapshot.name,
                  items: new Map(snapshot.items.map((i) => [i.id, i])),
                },
              })),
            );
            await Promise.all(
              writers.map(async (commands, w) => {
                const [app, user] = w % 2 === 0 ? [a, ana] : [b, bob];
                for (const c of commands) {
                  const current = (await app.http.get(`/lists/${ana.listId}`).set(user.auth)).body.items as Item[];
                  const target = current.length > 0 && 'pick' in c ? current[c.pick % current.length] : undefined;
                  const base = `/lists/${ana.listId}`;
                  if (c.kind === 'add') await app.http.post(`${base}/items`).set(user.auth).send({ name: c.name });
                  else if (c.kind === 'rename') await app.http.patch(base).set(user.auth).send({ name: c.name });
                  else if (target && c.kind === 'check')
                    await app.http.patch(`${base}/items/${target.id}`).set(user.auth).send({ checked: c.checked });
                  else if (target && c.kind === 'quantity')
                    await app.http.patch(`${base}/items/${target.id}`).set(user.auth).send({ quantity: c.quantity });
                  else if (target && c.kind === 'remove')
                    await app.http.delete(`${base}/items/${target.id}`).set(user.auth);
                }
              }),
            );
            const final = (await a.http.get(`/lists/${ana.listId}`).set(ana.auth).expect(200)).body as {
              seq: number;
              name: string;
              items: Item[];
            };
            for (const client of clients) {
              if (final.seq > snapshot.seq) await client.socket.waitForSeq(final.seq);
              const frames = client.socket.durable();
              expect(frames.map((f) => f.seq)).toEqual(range(snapshot.seq + 1, final.seq));
              for (const frame of frames) apply(client.state, frame);
              expect(client.state.name).toBe(final.name);
              const byId = (items: Item[]) => [...items].sort((x, y) => x.id.localeCompare(y.id));
              expect(byId([...client.state.items.values()])).toEqual(byId(final.items));
              await client.socket.close();
            }
          },
        ),
        { numRuns: 8 },
      );
    }, 120_000);
  });
});

import { useTestApp } from './support/app';
import { registerUser } from './support/factories';
import { range, RefusedHandshake, TestSocket, wsUrl } from './support/ws-client';

describe('realtime WebSocket', () => {
  const t = useTestApp();

  it('should deliver item events with gapless seq to every device, including the actor’s other devices', async () => {
    const ana = await registerUser(t);
    // A client on the full stream (`since`), and the app on a tablet signed in separately (another session).
    const phone = await TestSocket.open(wsUrl(t, `/ws/lists/${ana.listId}?token=${ana.token}&since=0`));
    const login = await t.http.post('/auth/login').send({ email: ana.email, password: ana.password }).expect(200);
    const tablet = await TestSocket.open(wsUrl(t, `/ws/lists/${ana.listId}?token=${login.body.token as string}`));
    const added = await t.http.post(`/lists/${ana.listId}/items`).set(ana.auth).send({ name: 'Milk' }).expect(201);
    await t.http.patch(`/lists/${ana.listId}/items/${added.body.id}`).set(ana.auth).send({ checked: true }).expect(200);
    await t.http.delete(`/lists/${ana.listId}/items/${added.body.id}`).set(ana.auth).expect(204);
    for (const socket of [phone, tablet]) {
      await socket.waitForSeq(3);
      expect(socket.durable().map((f) => [f.type, f.seq])).toEqual([
        ['item:added', 1],
        ['item:updated', 2],
        ['item:removed', 3],
      ]);
      expect(socket.durable()[0].payload).toEqual(added.body);
      expect(socket.durable()[2].payload).toEqual({ id: added.body.id });
    }
    const list = await t.http.get(`/lists/${ana.listId}`).set(ana.auth).expect(200);
    expect(list.body.seq).toBe(3);
    await phone.close();
    await tablet.close();
  });

  it('should treat ids in the path whatever their case: the frame names the item by its own (lower-case) id', async () => {
    const ana = await registerUser(t);
    const socket = await TestSocket.open(wsUrl(t, `/ws/lists/${ana.listId}?token=${ana.token}&since=0`));
    const added = await t.http.post(`/lists/${ana.listId}/items`).set(ana.auth).send({ name: 'Milk' }).expect(201);
    const itemId = added.body.id as string;
    await t.http.delete(`/lists/${ana.listId.toUpperCase()}/items/${itemId.toUpperCase()}`).set(ana.auth).expect(204);
    await socket.waitForSeq(2);
    expect(socket.durable().map((f): unknown[] => [f.type, f.payload])).toEqual([
      ['item:added', added.body],
      ['item:removed', { id: itemId }],
    ]);
    await socket.close();
  });

  it('should refuse handshakes with real HTTP statuses and the error body', async () => {
    const ana = await registerUser(t);
    const bob = await registerUser(t);
    const refused = (path: string) =>
      TestSocket.open(wsUrl(t, path)).then(
        () => null,
        (e: RefusedHandshake) => e,
      );
    expect(await refused(`/ws/lists/${ana.listId}`)).toMatchObject({ status: 401, body: { statusCode: 401 } });
    expect(await refused(`/ws/lists/${ana.listId}?token=garbage`)).toMatchObject({ status: 401 });
    expect(await refused(`/ws/lists/${ana.listId}?token=${bob.token}`)).toMatchObject({
      status: 404,
      body: { message: 'List not found.' },
    });
    expect(await refused(`/ws/elsewhere?token=${ana.token}`)).toMatchObject({ status: 404 });
    expect(await refused(`/ws/lists/${ana.listId}?token=${ana.token}&since=-1`)).toMatchObject({ status: 400 });
  });

  it('should answer ping with pong and reject other client frames with an error frame', async () => {
    const ana = await registerUser(t);
    const socket = await TestSocket.open(wsUrl(t, `/ws/lists/${ana.listId}?token=${ana.token}`));
    socket.send({ type: 'ping' });
    socket.send({ type: 'item:added', payload: { name: 'sneaky' } });
    await socket.waitFor((f) => f.some((x) => x.type === 'pong') && f.some((x) => x.type === 'error'));
    expect(socket.seqs()).toEqual([]);
    await socket.close();
  });

  it('should replay exactly the missed events after since, in order, then live ones', async () => {
    const ana = await registerUser(t);
    await t.http.post(`/lists/${ana.listId}/items`).set(ana.auth).send({ name: 'before' }).expect(201);
    for (let i = 0; i < 50; i++) {
      await t.http
        .post(`/lists/${ana.listId}/items`)
        .set(ana.auth)
        .send({ name: `missed ${i}` })
        .expect(201);
    }
    const socket = await TestSocket.open(wsUrl(t, `/ws/lists/${ana.listId}?token=${ana.token}&since=1`));
    await socket.waitForSeq(51);
    await t.http.post(`/lists/${ana.listId}/items`).set(ana.auth).send({ name: 'live' }).expect(201);
    await socket.waitForSeq(52);
    expect(socket.seqs()).toEqual(range(2, 52));
    expect(socket.durable()[0].payload.name).toBe('missed 0');
    expect(socket.durable()[50].payload.name).toBe('live');
    await socket.close();
  });
});

import { EventLogRepository } from '../src/events/event-log.repository';
import { RealtimeHub } from '../src/realtime/realtime.hub';
import { useTestApp } from './support/app';
import { Registered, registerUser } from './support/factories';
import { addItem, getList, ownerAndMember, seqOf } from './support/lists';
import { RefusedHandshake, TestSocket, wsUrl } from './support/ws-client';

/** Partners on one list, each with sockets as the app opens them (token, no since) or as new clients do. */
describe('realtime: who gets what, decided from current state', () => {
  const t = useTestApp();
  afterEach(() => jest.restoreAllMocks());

  const appSocket = (u: Registered, listId = u.listId) =>
    TestSocket.open(wsUrl(t, `/ws/lists/${listId}?token=${u.token}`));
  const sinceSocket = (u: Registered, since: number, listId = u.listId) =>
    TestSocket.open(wsUrl(t, `/ws/lists/${listId}?token=${u.token}&since=${since}`));
  const ticketSocket = async (u: Registered, listId = u.listId) => {
    const { ticket } = (await t.http.post('/ws/ticket').set(u.auth).send({ listId }).expect(201)).body as {
      ticket: string;
    };
    return TestSocket.open(wsUrl(t, `/ws/lists/${listId}?ticket=${ticket}`));
  };
  const join = async (u: Registered, listId: string, owner: Registered) => {
    const { inviteCode } = await getList(t, owner, listId);
    await t.http.post('/lists/join').set(u.auth).send({ inviteCode }).expect(200);
  };
  const hub = (): { sweep(): Promise<void> } =>
    t.app.get<RealtimeHub, unknown>(RealtimeHub) as { sweep(): Promise<void> };

  describe('no echo to the app’s own connection', () => {
    it('should not send item:* or list:updated back to the socket of the session that made them', async () => {
      const { owner: ana, member: bob, listId } = await ownerAndMember(t, { owner: 'Ana', member: 'Bob' });
      const head = await seqOf(t, ana, listId);
      const anaApp = await appSocket(ana, listId);
      const anaFull = await ticketSocket(ana, listId);
      const anaOtherPhone = await registerAgain(ana).then((phone) => appSocket(phone, listId));
      const bobApp = await appSocket(bob, listId);

      const milk = await addItem(t, ana, listId, { name: 'Milk' });
      await t.http.patch(`/lists/${listId}`).set(ana.auth).send({ name: 'Week' }).expect(200);
      const eggs = await addItem(t, bob, listId, { name: 'Eggs' });

      for (const socket of [anaFull, anaOtherPhone, anaApp]) await socket.waitForSeq(head + 3);
      await bobApp.waitForSeq(head + 2);
      await Promise.all([anaApp.sync(), bobApp.sync()]);
      // Each app socket gets only the other partner's changes; every other connection gets all three, in order.
      expect(anaApp.durable().map((f) => [f.type, f.seq, f.payload.id as string])).toEqual([
        ['item:added', head + 3, eggs.id],
      ]);
      expect(bobApp.durable().map((f) => [f.type, f.seq, f.payload.id as string])).toEqual([
        ['item:added', head + 1, milk.id],
        ['list:updated', head + 2, listId],
      ]);
      for (const socket of [anaFull, anaOtherPhone]) {
        expect(socket.durable().map((f) => [f.type, f.seq, f.payload.id as string])).toEqual([
          ['item:added', head + 1, milk.id],
          ['list:updated', head + 2, listId],
          ['item:added', head + 3, eggs.id],
        ]);
      }
      await Promise.all([anaApp, anaFull, anaOtherPhone, bobApp].map((s) => s.close()));
    });

    it('should still send trip:completed and store:updated to the acting session’s app socket', async () => {
      const ana = await registerUser(t);
      const head = await seqOf(t, ana);
      const anaApp = await appSocket(ana);
      const store = (await t.http.post(`/lists/${ana.listId}/stores`).set(ana.auth).send({ name: 'Lidl' }).expect(201))
        .body as { id: string };
      const milk = await addItem(t, ana, ana.listId, { name: 'Milk' });
      await t.http.patch(`/lists/${ana.listId}/items/${milk.id}`).set(ana.auth).send({ checked: true }).expect(200);
      await t.http.post(`/lists/${ana.listId}/trips`).set(ana.auth).send({ storeId: store.id }).expect(201);

      await anaApp.waitForSeq(head + 5);
      expect(anaApp.durable().map((f) => [f.type, f.seq])).toEqual([
        ['store:updated', head + 1],
        ['store:updated', head + 4],
        ['trip:completed', head + 5],
      ]);
      await anaApp.close();
    });

    it('should not relay item:checking to another app socket of the same session, but to everyone else', async () => {
      const { owner: ana, member: bob, listId } = await ownerAndMember(t, { owner: 'Ana', member: 'Bob' });
      const milk = await addItem(t, ana, listId, { name: 'Milk' });
      const sender = await appSocket(ana, listId);
      const sameSession = await appSocket(ana, listId);
      const sameSessionFull = await ticketSocket(ana, listId);
      const bobApp = await appSocket(bob, listId);

      sender.send({ type: 'item:checking', payload: { itemId: milk.id } });
      const relay = { type: 'item:checking', payload: { itemId: milk.id, userId: ana.userId } };
      await bobApp.waitFor((f) => f.some((x) => x.type === 'item:checking'));
      await sameSessionFull.waitFor((f) => f.some((x) => x.type === 'item:checking'));
      await sameSession.sync();
      await sender.sync();
      expect(bobApp.frames.filter((f) => f.type === 'item:checking')).toEqual([relay]);
      expect(sameSessionFull.frames.filter((f) => f.type === 'item:checking')).toEqual([relay]);
      expect(sameSession.frames.filter((f) => f.type === 'item:checking')).toEqual([]);
      expect(sender.frames.filter((f) => f.type === 'item:checking')).toEqual([]);
      await Promise.all([sender, sameSession, sameSessionFull, bobApp].map((s) => s.close()));
    });
  });

  describe('membership', () => {
    it('should not close a current member’s socket when someone replays old member lists', async () => {
      const ana = await registerUser(t, { name: 'Ana' });
      const bob = await registerUser(t, { name: 'Bob' });
      const carl = await registerUser(t, { name: 'Carl' });
      await join(bob, ana.listId, ana);
      await join(carl, ana.listId, ana);
      const carlApp = await appSocket(carl, ana.listId);

      // Ana's new phone catches up from the start: the first list:updated lists Ana and Bob only.
      const replay = await sinceSocket(ana, 0, ana.listId);
      await replay.waitForSeq(await seqOf(t, ana));
      const eggs = await addItem(t, bob, ana.listId, { name: 'Eggs' });
      await carlApp.waitFor((f) => f.some((x) => x.payload?.id === eggs.id));
      await carlApp.sync();
      expect(carlApp.closeCode).toBeUndefined();
      await Promise.all([carlApp.close(), replay.close()]);
    });

    it('should answer a since from before the user joined with resync, never the history before them', async () => {
      const ana = await registerUser(t, { name: 'Ana' });
      const dora = await registerUser(t, { name: 'Dora' });
      const carl = await registerUser(t, { name: 'Carl' });
      await join(dora, ana.listId, ana);
      await t.http.post(`/lists/${ana.listId}/leave`).set(dora.auth).expect(204);
      await join(carl, ana.listId, ana);
      const head = await seqOf(t, ana);

      const socket = await sinceSocket(carl, 0, ana.listId);
      await socket.waitFor((f) => f.some((x) => x.type === 'resync'));
      await socket.sync();
      expect(socket.frames.filter((f) => f.type !== 'pong' && f.type !== 'presence')).toEqual([
        { type: 'resync', payload: { seq: head } },
      ]);
      expect(JSON.stringify(socket.frames)).not.toContain(dora.email);
      // From their own join on, the log is theirs.
      const own = await sinceSocket(carl, head - 1, ana.listId);
      await own.waitForSeq(head);
      expect(own.durable().map((f) => f.seq)).toEqual([head]);
      await Promise.all([socket.close(), own.close()]);
    });

    it('should not keep a socket for a member removed while the handshake was under way', async () => {
      const { owner: ana, member: bob, listId } = await ownerAndMember(t, { owner: 'Ana', member: 'Bob' });
      const log = t.app.get(EventLogRepository);
      const position = log.position.bind(log);
      // The owner removes Bob right as his socket's handshake reads the list's position.
      jest.spyOn(log, 'position').mockImplementationOnce(async (id) => {
        await t.http.delete(`/lists/${listId}/members/${bob.userId}`).set(ana.auth).expect(204);
        return position(id);
      });
      const opened = await appSocket(bob, listId).catch((error: unknown) => error);
      if (opened instanceof TestSocket) {
        expect(await opened.waitForClose()).toBe(4403);
        expect(opened.durable()).toEqual([]);
      } else {
        expect(opened).toBeInstanceOf(RefusedHandshake);
        expect((opened as RefusedHandshake).status).toBe(404);
      }
      // Whichever way, the rotated invite code never reached him.
      const code = (await getList(t, ana, listId)).inviteCode;
      expect(JSON.stringify(opened instanceof TestSocket ? opened.frames : [])).not.toContain(code);
    });

    it('should close the sockets of a member whose membership ended without an event (the sweep re-checks)', async () => {
      const { member: bob, listId } = await ownerAndMember(t, { owner: 'Ana', member: 'Bob' });
      const socket = await appSocket(bob, listId);
      await socket.sync();
      await t.dataSource.query(`DELETE FROM list_members WHERE list_id = $1 AND user_id = $2`, [listId, bob.userId]);
      await hub().sweep();
      expect(await socket.waitForClose()).toBe(4403);
    });
  });

  describe('sweep', () => {
    it('should leave alone a room opened while it read the heads of the others', async () => {
      const ana = await registerUser(t);
      const bob = await registerUser(t);
      const anaApp = await appSocket(ana);
      const log = t.app.get(EventLogRepository);
      const heads = log.heads.bind(log);
      let bobApp: TestSocket | undefined;
      const bobHead = await seqOf(t, bob);
      jest.spyOn(log, 'heads').mockImplementationOnce(async (ids) => {
        const read = await heads(ids);
        bobApp = await sinceSocket(bob, bobHead);
        await bobApp.sync();
        return read;
      });
      await hub().sweep();
      await bobApp!.sync();
      expect(bobApp!.closeCode).toBeUndefined();
      const milk = await addItem(t, bob, bob.listId, { name: 'Milk' });
      await bobApp!.waitFor((f) => f.some((x) => x.payload?.id === milk.id));
      await Promise.all([anaApp.close(), bobApp!.close()]);
    });
  });

  /** The same user signed in on another phone: another session. */
  async function registerAgain(u: Registered): Promise<Registered> {
    const res = await t.http.post('/auth/login').send({ email: u.email, password: u.password }).expect(200);
    const token = (res.body as { token: string }).token;
    return { ...u, token, auth: { Authorization: `Bearer ${token}` } };
  }
});

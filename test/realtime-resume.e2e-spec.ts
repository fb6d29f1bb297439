import type { Socket } from 'node:net';
import { useTestApp } from './support/app';
import { eventually } from './support/eventually';
import { addItem, ownerAndMember, seqOf } from './support/lists';
import { TestSocket, wsUrl } from './support/ws-client';

/**
 * The app reconnects 3 s after any close, always with `?token=` and never with `since`.
 * What its socket provably received is remembered per session and list (heartbeat pings carry
 * the seq, the client's automatic pong echoes it), so such a reconnect replays what it missed.
 */
describe('realtime: the app’s reconnect without since misses nothing', () => {
  const t = useTestApp({ WS_HEARTBEAT_MS: '150' });

  const appSocket = (token: string, listId: string) => TestSocket.open(wsUrl(t, `/ws/lists/${listId}?token=${token}`));
  const ackOf = async (listId: string): Promise<number | null> => {
    const rows: { seq: string }[] = await t.dataSource.query(`SELECT seq FROM ws_acks WHERE list_id = $1`, [listId]);
    return rows.length === 1 ? Number(rows[0].seq) : null;
  };
  /** The network drops: no close frame, the TCP connection just goes away. */
  const cutNetwork = (socket: TestSocket) => (socket.ws as unknown as { _socket: Socket })._socket.destroy();

  it('should replay every change made while the phone was cut off, then go on live', async () => {
    const { owner: ana, member: bob, listId } = await ownerAndMember(t, { owner: 'Ana', member: 'Bob' });
    const phone = await appSocket(ana.token, listId);
    const milk = await addItem(t, bob, listId, { name: 'Milk' });
    await phone.waitFor((f) => f.some((x) => x.payload?.id === milk.id));
    const seen = await seqOf(t, ana, listId);
    // A heartbeat round proves the phone has everything up to `seen`.
    await eventually(async () => expect(await ackOf(listId)).toBe(seen), { timeoutMs: 5000 });

    cutNetwork(phone);
    await phone.waitForClose();
    const eggs = await addItem(t, bob, listId, { name: 'Eggs' });
    const bread = await addItem(t, bob, listId, { name: 'Bread' });

    const again = await appSocket(ana.token, listId);
    await again.waitFor((f) => f.some((x) => x.payload?.id === bread.id));
    const tea = await addItem(t, bob, listId, { name: 'Tea' });
    await again.waitFor((f) => f.some((x) => x.payload?.id === tea.id));
    expect(again.durable().map((f) => [f.type, f.seq, f.payload.id as string])).toEqual([
      ['item:added', seen + 1, eggs.id],
      ['item:added', seen + 2, bread.id],
      ['item:added', seen + 3, tea.id],
    ]);
    await again.close();
  });

  it('should replay from the last proven receipt, repeating what was only written into the dead socket', async () => {
    const { owner: ana, member: bob, listId } = await ownerAndMember(t, { owner: 'Ana', member: 'Bob' });
    const phone = await appSocket(ana.token, listId);
    await phone.sync();
    const proven = await seqOf(t, ana, listId);
    await eventually(async () => expect(await ackOf(listId)).toBe(proven), { timeoutMs: 5000 });
    // No pong from now on: this frame reaches the socket, but nothing proves it arrived.
    (phone.ws as unknown as { pong: () => void }).pong = () => undefined;
    phone.ws.removeAllListeners('ping');
    const milk = await addItem(t, bob, listId, { name: 'Milk' });
    await phone.waitFor((f) => f.some((x) => x.payload?.id === milk.id));
    cutNetwork(phone);
    await phone.waitForClose();

    const again = await appSocket(ana.token, listId);
    await again.waitForSeq(proven + 1);
    await again.sync();
    // Repeated: the app merges by id, so a second item:added of the same item is harmless.
    expect(again.durable().map((f) => [f.type, f.seq, f.payload.id as string])).toEqual([
      ['item:added', proven + 1, milk.id],
    ]);
    await again.close();
  });

  it('should start from now when the last proof is older than WS_RESUME_WINDOW_SEC', async () => {
    const { owner: ana, member: bob, listId } = await ownerAndMember(t, { owner: 'Ana', member: 'Bob' });
    const phone = await appSocket(ana.token, listId);
    await phone.sync();
    const proven = await seqOf(t, ana, listId);
    await eventually(async () => expect(await ackOf(listId)).toBe(proven), { timeoutMs: 5000 });
    cutNetwork(phone);
    await phone.waitForClose();
    await addItem(t, bob, listId, { name: 'Milk' });
    await t.dataSource.query(`UPDATE ws_acks SET acked_at = acked_at - interval '11 minutes'`);

    const again = await appSocket(ana.token, listId);
    await again.sync();
    expect(again.durable()).toEqual([]);
    await again.close();
  });
});

describe('realtime: the app’s connection dropped before its first heartbeat', () => {
  // The default heartbeat (30 s): no ping reaches the phone before its network drops.
  const t = useTestApp();

  it('should replay from where the socket started, which the app had loaded just before', async () => {
    const { owner: ana, member: bob, listId } = await ownerAndMember(t, { owner: 'Ana', member: 'Bob' });
    const start = await seqOf(t, ana, listId);
    const phone = await TestSocket.open(wsUrl(t, `/ws/lists/${listId}?token=${ana.token}`));
    await phone.sync();
    // The starting point is written just after the join (one statement, not awaited by the
    // socket): wait for the row so the drop below happens after it, as on a real phone.
    await eventually(async () => {
      const rows: { seq: string }[] = await t.dataSource.query(`SELECT seq FROM ws_acks WHERE list_id = $1`, [listId]);
      expect(rows.map((row) => Number(row.seq))).toEqual([start]);
    });
    (phone.ws as unknown as { _socket: Socket })._socket.destroy();
    await phone.waitForClose();
    const bread = await addItem(t, bob, listId, { name: 'Bread' });

    const again = await TestSocket.open(wsUrl(t, `/ws/lists/${listId}?token=${ana.token}`));
    await again.waitForSeq(start + 1);
    await again.sync();
    expect(again.durable().map((f) => [f.type, f.seq, f.payload.id as string])).toEqual([
      ['item:added', start + 1, bread.id],
    ]);
    await again.close();
  });
});

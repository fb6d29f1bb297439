import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { expectQuotaRefusal } from './support/expect';
import { useTestApp } from './support/app';
import { Registered, registerUser } from './support/factories';
import { addItem, buy, getList, ownerAndMember, secondList } from './support/lists';
import { receiptSteps, Trip } from './support/receipts';
import { TestSocket, wsUrl } from './support/ws-client';

const ITEMS = 5;
const LISTS = 3;
const STORES = 2;
const MEMBERS = 3;
const TRIPS_KEPT = 3;
const TRIP_ITEMS_KEPT = 4;
const RECEIPT_BYTES = 3000;

/** Every table a quota guards, with the log and the rows a refused write could leave behind. */
const TABLES = [
  'lists',
  'list_members',
  'items',
  'stores',
  'trips',
  'trip_items',
  'receipt_files',
  'list_events',
  'ws_connections',
];

/** A PDF of exactly `size` bytes: receipts that are PDFs are stored as they are. */
function pdf(size: number): Buffer {
  const head = '%PDF-1.4\n';
  return Buffer.from(head + '%'.repeat(size - head.length), 'latin1');
}

/** The answer every quota refusal gives: 409, the contract's body, the limit named. */
function expectQuota(res: { status: number; body: unknown }, message: string, quota: string, limit: number): void {
  expectQuotaRefusal(res, message, quota, limit);
}

describe('quotas', () => {
  const t = useTestApp({
    MAX_ITEMS_PER_LIST: String(ITEMS),
    MAX_LISTS_PER_USER: String(LISTS),
    MAX_STORES_PER_LIST: String(STORES),
    MAX_MEMBERS_PER_LIST: String(MEMBERS),
    TRIPS_KEPT_PER_LIST: String(TRIPS_KEPT),
    TRIP_ITEMS_KEPT_PER_LIST: String(TRIP_ITEMS_KEPT),
    MAX_RECEIPT_BYTES_PER_LIST: String(RECEIPT_BYTES),
  });
  const { tripOf, upload } = receiptSteps(t);

  /** Row counts of every guarded table, and each list's seq: "nothing written" is these unchanged. */
  async function snapshot(): Promise<Record<string, unknown>> {
    const counts: Record<string, unknown> = {};
    for (const table of TABLES) {
      const [{ n }]: { n: number }[] = await t.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`);
      counts[table] = n;
    }
    counts.seqs = await t.dataSource.query(`SELECT id, seq FROM lists ORDER BY id`);
    counts.receiptBytes = (await t.dataSource.query(`SELECT coalesce(sum(size), 0)::int AS n FROM receipt_files`))[0];
    return counts;
  }

  const postItem = (u: Registered, listId: string, body: Record<string, unknown> = { name: 'Milk' }) =>
    t.http.post(`/lists/${listId}/items`).set(u.auth).send(body);
  const createList = (u: Registered, name = 'Cabin') => t.http.post('/lists').set(u.auth).send({ name });
  const join = (u: Registered, inviteCode: string) => t.http.post('/lists/join').set(u.auth).send({ inviteCode });
  const createStore = (u: Registered, listId: string, name: string) =>
    t.http.post(`/lists/${listId}/stores`).set(u.auth).send({ name });

  async function fill(u: Registered, listId: string, count: number): Promise<void> {
    for (let i = 0; i < count; i++) await addItem(t, u, listId, { name: `item ${i}` });
  }

  function statuses(responses: Response[]): number[] {
    return responses.map((res) => res.status).sort();
  }

  describe('items per list (MAX_ITEMS_PER_LIST)', () => {
    const FULL = `This list already has ${ITEMS} items, the most a list can hold.`;

    it('should refuse the item past the limit with 409 naming it, and write nothing: no row, no event, no frame', async () => {
      const ana = await registerUser(t);
      await fill(ana, ana.listId, ITEMS);
      const socket = await TestSocket.open(wsUrl(t, `/ws/lists/${ana.listId}?token=${ana.token}&since=${ITEMS}`));
      const before = await snapshot();

      const res = await postItem(ana, ana.listId, { name: 'One too many' });

      expectQuota(res, FULL, 'itemsPerList', ITEMS);
      expect(await snapshot()).toEqual(before);
      await socket.sync();
      expect(socket.durable()).toEqual([]);
      await socket.close();
    });

    it('should never overshoot when adds race at the limit: exactly the room left is created, the rest 409', async () => {
      const ana = await registerUser(t);
      await addItem(t, ana, ana.listId, { name: 'Already there' });

      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) => postItem(ana, ana.listId, { name: `racer ${i}` })),
      );

      expect(statuses(responses)).toEqual([...Array(ITEMS - 1).fill(201), ...Array(21 - ITEMS).fill(409)]);
      for (const res of responses.filter((r) => r.status === 409)) expectQuota(res, FULL, 'itemsPerList', ITEMS);
      const list = await getList(t, ana);
      expect(list.items).toHaveLength(ITEMS);
      // One event per item that exists, none for the refused ones.
      expect(list.seq).toBe(ITEMS);
    });

    it('should make room again once an item is removed', async () => {
      const ana = await registerUser(t);
      await fill(ana, ana.listId, ITEMS);
      const [first] = (await getList(t, ana)).items;
      await postItem(ana, ana.listId).expect(409);

      await t.http.delete(`/lists/${ana.listId}/items/${first.id}`).set(ana.auth).expect(204);

      await postItem(ana, ana.listId, { name: 'Fits again' }).expect(201);
    });

    it('should still answer a retried add of an item the full list already has (client id) with that item', async () => {
      const ana = await registerUser(t);
      await fill(ana, ana.listId, ITEMS - 1);
      const id = randomUUID();
      const first = await postItem(ana, ana.listId, { id, name: 'Offline add' }).expect(201);

      const retry = await postItem(ana, ana.listId, { id, name: 'Offline add' }).expect(201);

      expect(retry.body).toEqual(first.body);
      expect((await getList(t, ana)).items).toHaveLength(ITEMS);
    });

    it('should count each list on its own', async () => {
      const ana = await registerUser(t);
      await fill(ana, ana.listId, ITEMS);
      const cabin = await secondList(t, ana);
      await postItem(ana, cabin).expect(201);
    });
  });

  describe('lists per user (MAX_LISTS_PER_USER: owned or joined)', () => {
    const FULL = `You already belong to ${LISTS} lists, the most one account can have.`;

    it('should refuse a new list past the limit with 409 naming it, and write nothing', async () => {
      const ana = await registerUser(t);
      for (let i = 1; i < LISTS; i++) await createList(ana).expect(201);
      const before = await snapshot();

      const res = await createList(ana, 'One too many');

      expectQuota(res, FULL, 'listsPerUser', LISTS);
      expect(await snapshot()).toEqual(before);
    });

    it('should never overshoot when creates race at the limit', async () => {
      const ana = await registerUser(t);

      const responses = await Promise.all(Array.from({ length: 10 }, (_, i) => createList(ana, `List ${i}`)));

      expect(statuses(responses)).toEqual([...Array(LISTS - 1).fill(201), ...Array(11 - LISTS).fill(409)]);
      const mine = await t.http.get('/lists').set(ana.auth).expect(200);
      expect(mine.body).toHaveLength(LISTS);
    });

    it('should count lists joined by invite code: a joiner at the limit is refused, and nothing is written', async () => {
      const { owner, member: bob } = await ownerAndMember(t, { owner: 'Olga', member: 'Bob' });
      const other = await registerUser(t, { name: 'Ivy' });
      for (let i = 2; i < LISTS; i++) await createList(bob).expect(201);
      const { inviteCode } = await getList(t, other);
      const socket = await TestSocket.open(wsUrl(t, `/ws/lists/${other.listId}?token=${other.token}&since=0`));
      const before = await snapshot();

      const res = await join(bob, inviteCode);

      expectQuota(res, FULL, 'listsPerUser', LISTS);
      expect(await snapshot()).toEqual(before);
      await socket.sync();
      expect(socket.durable()).toEqual([]);
      await socket.close();
      // Joining a list they already belong to stays the no-op it always was.
      await join(bob, (await getList(t, owner)).inviteCode).expect(200);
    });

    it('should not count a join refused by a quota as a wrong invite code', async () => {
      const bob = await registerUser(t, { name: 'Bob' });
      for (let i = 1; i < LISTS; i++) await createList(bob).expect(201);
      const other = await registerUser(t, { name: 'Ivy' });
      const { inviteCode } = await getList(t, other);

      // INVITE_MAX_FAILURES is 10: twelve refusals must all stay 409, never turn into 429.
      for (let i = 0; i < 12; i++) await join(bob, inviteCode).expect(409);
    });

    it('should make room again when the user leaves a list', async () => {
      const ana = await registerUser(t);
      const cabin = await secondList(t, ana);
      await createList(ana).expect(201);
      await createList(ana).expect(409);

      await t.http.post(`/lists/${cabin}/leave`).set(ana.auth).expect(204);

      await createList(ana).expect(201);
    });
  });

  describe('members per list (MAX_MEMBERS_PER_LIST)', () => {
    const FULL = `This list already has ${MEMBERS} members, the most a list can have.`;

    it('should refuse a joiner past the limit with 409 naming it, and write nothing', async () => {
      const owner = await registerUser(t, { name: 'Olga' });
      const { inviteCode } = await getList(t, owner);
      for (let i = 1; i < MEMBERS; i++) await join(await registerUser(t), inviteCode).expect(200);
      const late = await registerUser(t, { name: 'Late' });
      const before = await snapshot();

      const res = await join(late, inviteCode);

      expectQuota(res, FULL, 'membersPerList', MEMBERS);
      expect(await snapshot()).toEqual(before);
      expect((await getList(t, owner)).members).toHaveLength(MEMBERS);
    });

    it('should never overshoot when joins race at the limit', async () => {
      const owner = await registerUser(t, { name: 'Olga' });
      const { inviteCode } = await getList(t, owner);
      const joiners = await Promise.all(Array.from({ length: 8 }, () => registerUser(t)));

      const responses = await Promise.all(joiners.map((u) => join(u, inviteCode)));

      expect(statuses(responses)).toEqual([...Array(MEMBERS - 1).fill(200), ...Array(9 - MEMBERS).fill(409)]);
      expect((await getList(t, owner)).members).toHaveLength(MEMBERS);
    });
  });

  describe('stores per list (MAX_STORES_PER_LIST)', () => {
    const FULL = `This list already has ${STORES} stores, the most a list can hold.`;

    it('should refuse a store past the limit with 409 naming it, and write nothing', async () => {
      const ana = await registerUser(t);
      for (let i = 0; i < STORES; i++) await createStore(ana, ana.listId, `Store ${i}`).expect(201);
      const before = await snapshot();

      const res = await createStore(ana, ana.listId, 'One too many');

      expectQuota(res, FULL, 'storesPerList', STORES);
      expect(await snapshot()).toEqual(before);
    });

    it('should never overshoot when creates race at the limit', async () => {
      const ana = await registerUser(t);

      const responses = await Promise.all(
        Array.from({ length: 10 }, (_, i) => createStore(ana, ana.listId, `Store ${i}`)),
      );

      expect(statuses(responses)).toEqual([...Array(STORES).fill(201), ...Array(10 - STORES).fill(409)]);
      const stores = await t.http.get(`/lists/${ana.listId}/stores`).set(ana.auth).expect(200);
      expect(stores.body).toHaveLength(STORES);
    });
  });

  describe('trip history (TRIPS_KEPT_PER_LIST, TRIP_ITEMS_KEPT_PER_LIST)', () => {
    const complete = async (u: Registered, products: string[]): Promise<Trip> => {
      await buy(t, u, u.listId, products);
      return (await t.http.post(`/lists/${u.listId}/trips`).set(u.auth).send({}).expect(201)).body as Trip;
    };
    const history = async (u: Registered): Promise<string[]> =>
      ((await t.http.get(`/lists/${u.listId}/trips`).set(u.auth).expect(200)).body as Trip[]).map((trip) => trip.id);

    it('should keep the newest trips: completing one more removes the oldest, with its items and receipt', async () => {
      const ana = await registerUser(t);
      const oldest = await complete(ana, ['Milk']);
      await upload(ana, oldest, pdf(1000), { contentType: 'application/pdf' }).expect(200);
      const kept: string[] = [];
      for (let i = 1; i < TRIPS_KEPT; i++) kept.unshift((await complete(ana, [`Bread ${i}`])).id);
      expect(await history(ana)).toEqual([...kept, oldest.id]);

      const newest = await complete(ana, ['Eggs']);

      expect(await history(ana)).toEqual([newest.id, ...kept]);
      await t.http.get(`/lists/${ana.listId}/trips/${oldest.id}`).set(ana.auth).expect(404);
      const left: { n: number }[] = await t.dataSource.query(
        `SELECT (SELECT count(*)::int FROM trip_items WHERE trip_id = $1) + (SELECT count(*)::int FROM receipt_files WHERE trip_id = $1) AS n`,
        [oldest.id],
      );
      expect(left[0].n).toBe(0);
    });

    it('should keep the newest trips whose items fit the budget, and always the trip just completed', async () => {
      const ana = await registerUser(t);
      const first = await complete(ana, ['A', 'B', 'C']);
      const second = await complete(ana, ['D']);
      expect(await history(ana)).toEqual([second.id, first.id]);

      // 2 + 1 fit in 4 items; with the 3 of the first trip they would not.
      const third = await complete(ana, ['E', 'F']);
      expect(await history(ana)).toEqual([third.id, second.id]);

      // A trip larger than the whole budget is still kept, alone.
      const big = await complete(ana, ['G', 'H', 'I', 'J', 'K']);
      expect(await history(ana)).toEqual([big.id]);
    });
  });

  describe('receipt bytes per list (MAX_RECEIPT_BYTES_PER_LIST)', () => {
    const FULL = `This receipt would take this list's receipts past ${RECEIPT_BYTES} bytes, the most a list can keep.`;

    it('should refuse a receipt that would pass the budget with 409 naming it, and write nothing', async () => {
      const ana = await registerUser(t);
      const first = await tripOf(ana);
      const second = await tripOf(ana);
      await upload(ana, first, pdf(2000), { contentType: 'application/pdf' }).expect(200);
      const before = await snapshot();

      const res = await upload(ana, second, pdf(1001), { contentType: 'application/pdf' });

      expectQuota(res, FULL, 'receiptBytesPerList', RECEIPT_BYTES);
      expect(await snapshot()).toEqual(before);
      const trip = (await t.http.get(`/lists/${ana.listId}/trips/${second.id}`).set(ana.auth).expect(200)).body;
      expect(trip.receiptUrl).toBeNull();
    });

    it('should accept a receipt that fits exactly, and not count the file a receipt replaces', async () => {
      const ana = await registerUser(t);
      const first = await tripOf(ana);
      const second = await tripOf(ana);
      await upload(ana, first, pdf(2000), { contentType: 'application/pdf' }).expect(200);
      await upload(ana, second, pdf(1000), { contentType: 'application/pdf' }).expect(200);

      // 2000 replaced by 2000: still 3000.
      await upload(ana, first, pdf(2000), { contentType: 'application/pdf' }).expect(200);
      expectQuota(
        await upload(ana, second, pdf(1001), { contentType: 'application/pdf' }),
        FULL,
        'receiptBytesPerList',
        RECEIPT_BYTES,
      );
    });
  });
});

import { randomUUID } from 'node:crypto';
import { useTestApp } from './support/app';
import { setNow } from './support/clock';
import { expectHiddenList, expectInvalid, UUID, withoutRequestId } from './support/expect';
import { expectErrorBody, Registered, registerUser } from './support/factories';
import { addItem, buy, checkItem, itemsOf, ownerAndMember, secondList, seqOf } from './support/lists';
import { TestSocket, wsUrl } from './support/ws-client';

interface TripItem {
  id: string;
  name: string;
  quantity: number;
  unit: string;
  category: string | null;
  checkedBy: string | null;
  checkedAt: string | null;
}

interface Trip {
  id: string;
  listId: string;
  storeId: string | null;
  storeName: string | null;
  completedBy: string | null;
  completedAt: string;
  itemCount: number;
  receiptUrl: string | null;
  items?: TripItem[];
  removedItemIds?: string[];
}

const DAY_MS = 86_400_000;

describe('trips', () => {
  const t = useTestApp();
  afterEach(() => jest.restoreAllMocks());

  const complete = (u: Registered, listId: string, body: Record<string, unknown> = {}) =>
    t.http.post(`/lists/${listId}/trips`).set(u.auth).send(body);
  const completeTrip = async (u: Registered, listId: string, body: Record<string, unknown> = {}): Promise<Trip> =>
    (await complete(u, listId, body).expect(201)).body as Trip;
  const tripCount = async (): Promise<number> => {
    const [{ n }]: { n: number }[] = await t.dataSource.query(`SELECT count(*)::int AS n FROM trips`);
    return n;
  };
  const history = (u: Registered, listId: string, query = '') =>
    t.http.get(`/lists/${listId}/trips${query}`).set(u.auth);

  describe('POST /lists/:listId/trips', () => {
    it('should record the checked items in a trip stamped with the clock time, and answer it in the Trip shape', async () => {
      const ana = await registerUser(t);
      const milk = await checkItem(
        t,
        ana,
        ana.listId,
        (await addItem(t, ana, ana.listId, { name: 'Milk', quantity: 2, unit: 'l' })).id,
      );
      const bread = await checkItem(t, ana, ana.listId, (await addItem(t, ana, ana.listId, { name: 'Bread' })).id);
      const now = new Date('2025-06-01T09:30:00.000Z');
      setNow(t, now);

      const res = await complete(ana, ana.listId).expect(201);

      expect(res.body).toEqual({
        id: expect.stringMatching(UUID),
        listId: ana.listId,
        storeId: null,
        storeName: null,
        completedBy: ana.userId,
        completedAt: now.toISOString(),
        itemCount: 2,
        receiptUrl: null,
        items: [
          {
            id: milk.id,
            name: 'Milk',
            quantity: 2,
            unit: 'l',
            category: null,
            checkedBy: ana.userId,
            checkedAt: milk.checkedAt,
          },
          {
            id: bread.id,
            name: 'Bread',
            quantity: 1,
            unit: '×',
            category: null,
            checkedBy: ana.userId,
            checkedAt: bread.checkedAt,
          },
        ],
        removedItemIds: [milk.id, bread.id],
      });
    });

    it('should name the store the trip was at', async () => {
      const ana = await registerUser(t);
      const store = (await t.http.post(`/lists/${ana.listId}/stores`).set(ana.auth).send({ name: 'Lidl' }).expect(201))
        .body as { id: string };
      await buy(t, ana, ana.listId, ['Milk']);

      const trip = await completeTrip(ana, ana.listId, { storeId: store.id.toUpperCase() });

      expect(trip).toMatchObject({ storeId: store.id, storeName: 'Lidl' });
      const stores = await t.http.get(`/lists/${ana.listId}/stores`).set(ana.auth).expect(200);
      expect(stores.body[0].tripCount).toBe(1);
    });

    it('should remove exactly the checked items and keep the unchecked ones on the list, untouched', async () => {
      const { owner: ana, member: bob, listId } = await ownerAndMember(t);
      const eggs = await addItem(t, ana, listId, { name: 'Eggs', quantity: 12 });
      const bought = await buy(t, ana, listId, ['Milk', 'Bread']);
      const bobsBought = await buy(t, bob, listId, ['Wine']);
      const butter = await addItem(t, bob, listId, { name: 'Butter' });
      const before = await itemsOf(t, ana, listId);

      const trip = await completeTrip(ana, listId);

      expect(trip.itemCount).toBe(3);
      expect(trip.removedItemIds?.sort()).toEqual([...bought, ...bobsBought].map((i) => i.id).sort());
      expect(await itemsOf(t, bob, listId)).toEqual(before.filter((i) => i.id === eggs.id || i.id === butter.id));
    });

    it('should keep the snapshot of names, quantities and units after the items are gone and renamed elsewhere', async () => {
      const ana = await registerUser(t);
      const cheese = await checkItem(
        t,
        ana,
        ana.listId,
        (await addItem(t, ana, ana.listId, { name: 'Cheese', quantity: 0.25, unit: 'kg', category: 'Dairy' })).id,
      );
      const trip = await completeTrip(ana, ana.listId);
      // The same product is added again and changed: the trip must not follow it.
      const again = await addItem(t, ana, ana.listId, { name: 'Cheese', quantity: 1, unit: 'kg' });
      await t.http.patch(`/lists/${ana.listId}/items/${again.id}`).set(ana.auth).send({ name: 'Brie' }).expect(200);

      const detail = await t.http.get(`/lists/${ana.listId}/trips/${trip.id}`).set(ana.auth).expect(200);

      expect(detail.body.items).toEqual([
        {
          id: cheese.id,
          name: 'Cheese',
          quantity: 0.25,
          unit: 'kg',
          category: 'Dairy',
          checkedBy: ana.userId,
          checkedAt: cheese.checkedAt,
        },
      ]);
    });

    it('should answer 422 when nothing is checked, and write nothing', async () => {
      const ana = await registerUser(t);
      const store = (await t.http.post(`/lists/${ana.listId}/stores`).set(ana.auth).send({ name: 'Lidl' }).expect(201))
        .body as { id: string };
      await addItem(t, ana, ana.listId, { name: 'Milk' });
      const before = await itemsOf(t, ana, ana.listId);
      const seq = await seqOf(t, ana, ana.listId);

      const res = await complete(ana, ana.listId, { storeId: store.id }).expect(422);

      expectErrorBody(res.body, 422);
      expect(await tripCount()).toBe(0);
      expect(await itemsOf(t, ana, ana.listId)).toEqual(before);
      expect(await seqOf(t, ana, ana.listId)).toBe(seq);
      const stores = await t.http.get(`/lists/${ana.listId}/stores`).set(ana.auth).expect(200);
      expect(stores.body[0].tripCount).toBe(0);
    });

    it('should answer 404 for a store of another list, and write nothing', async () => {
      const ana = await registerUser(t);
      const other = await secondList(t, ana);
      const cabinStore = (await t.http.post(`/lists/${other}/stores`).set(ana.auth).send({ name: 'Cabin' }).expect(201))
        .body as { id: string };
      await buy(t, ana, ana.listId, ['Milk']);
      const before = await itemsOf(t, ana, ana.listId);

      const res = await complete(ana, ana.listId, { storeId: cabinStore.id }).expect(404);

      expectErrorBody(res.body, 404);
      const missing = await complete(ana, ana.listId, { storeId: randomUUID() }).expect(404);
      expect(withoutRequestId(res.body)).toEqual(withoutRequestId(missing.body));
      expect(await tripCount()).toBe(0);
      expect(await itemsOf(t, ana, ana.listId)).toEqual(before);
      const cabinStores = await t.http.get(`/lists/${other}/stores`).set(ana.auth).expect(200);
      expect(cabinStores.body[0].tripCount).toBe(0);
    });

    it.each([
      ['not a UUID', { storeId: 'lidl' }],
      ['a number', { storeId: 7 }],
      ['an empty string', { storeId: '' }],
    ])('should answer 400 naming storeId when it is %s, and write nothing', async (_case, body) => {
      const ana = await registerUser(t);
      await buy(t, ana, ana.listId, ['Milk']);
      expectInvalid(await complete(ana, ana.listId, body), 'storeId');
      expect(await tripCount()).toBe(0);
      expect(await itemsOf(t, ana, ana.listId)).toHaveLength(1);
    });

    it('should complete a trip without a store when storeId is null', async () => {
      const ana = await registerUser(t);
      await buy(t, ana, ana.listId, ['Milk']);
      const trip = await completeTrip(ana, ana.listId, { storeId: null });
      expect(trip).toMatchObject({ storeId: null, storeName: null, itemCount: 1 });
    });

    it('should reject an unknown body property with 400', async () => {
      const ana = await registerUser(t);
      await buy(t, ana, ana.listId, ['Milk']);
      expectInvalid(await complete(ana, ana.listId, { items: [] }), 'items');
      expect(await tripCount()).toBe(0);
    });

    it('should create one trip when a POST is retried with the same Idempotency-Key', async () => {
      const ana = await registerUser(t);
      await buy(t, ana, ana.listId, ['Milk', 'Bread']);
      await addItem(t, ana, ana.listId, { name: 'Eggs' });
      const key = randomUUID();

      const first = await complete(ana, ana.listId).set('Idempotency-Key', key).expect(201);
      const seq = await seqOf(t, ana, ana.listId);
      await buy(t, ana, ana.listId, ['Wine']);
      const retry = await complete(ana, ana.listId).set('Idempotency-Key', key).expect(201);

      expect(retry.body).toEqual(first.body);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(await tripCount()).toBe(1);
      expect((await itemsOf(t, ana, ana.listId)).map((i) => i.name)).toEqual(['Eggs', 'Wine']);
      expect(await seqOf(t, ana, ana.listId)).toBe(seq + 2);
    });

    it('should put each checked item in only one trip when two members complete at the same time', async () => {
      const { owner: ana, member: bob, listId } = await ownerAndMember(t);
      await buy(t, ana, listId, ['Milk', 'Bread', 'Eggs', 'Wine']);

      const answers = await Promise.all([complete(ana, listId), complete(bob, listId)]);

      expect(answers.map((a) => a.status).sort()).toEqual([201, 422]);
      const [{ n }]: { n: number }[] = await t.dataSource.query(`SELECT count(*)::int AS n FROM trip_items`);
      expect(n).toBe(4);
      expect(await tripCount()).toBe(1);
    });

    it('should append store:updated then trip:completed, whose payload is the trip with its removed item ids', async () => {
      const ana = await registerUser(t);
      const store = (await t.http.post(`/lists/${ana.listId}/stores`).set(ana.auth).send({ name: 'Lidl' }).expect(201))
        .body as { id: string };
      await buy(t, ana, ana.listId, ['Milk', 'Bread']);
      await addItem(t, ana, ana.listId, { name: 'Eggs' });
      const seq = await seqOf(t, ana, ana.listId);
      const socket = await TestSocket.open(wsUrl(t, `/ws/lists/${ana.listId}?token=${ana.token}&since=${seq}`));

      const trip = await completeTrip(ana, ana.listId, { storeId: store.id });

      await socket.waitForSeq(seq + 2);
      expect(socket.durable().map((f) => [f.type, f.seq])).toEqual([
        ['store:updated', seq + 1],
        ['trip:completed', seq + 2],
      ]);
      expect(socket.durable()[0].payload).toMatchObject({ id: store.id, tripCount: 1 });
      expect(socket.durable()[1].payload).toEqual(trip);
      expect(trip.removedItemIds).toHaveLength(2);
      expect(await seqOf(t, ana, ana.listId)).toBe(seq + 2);
      await socket.close();
    });

    it('should append only trip:completed for a trip without a store', async () => {
      const ana = await registerUser(t);
      await buy(t, ana, ana.listId, ['Milk']);
      const seq = await seqOf(t, ana, ana.listId);
      const socket = await TestSocket.open(wsUrl(t, `/ws/lists/${ana.listId}?token=${ana.token}&since=${seq}`));

      const trip = await completeTrip(ana, ana.listId);

      await socket.waitForSeq(seq + 1);
      expect(socket.durable()).toEqual([{ type: 'trip:completed', seq: seq + 1, payload: trip }]);
      expect(await seqOf(t, ana, ana.listId)).toBe(seq + 1);
      await socket.close();
    });

    it('should answer 404 for a list the caller is not a member of, exactly as for a missing list', async () => {
      const ana = await registerUser(t);
      await buy(t, ana, ana.listId, ['Milk']);
      await expectHiddenList(t, (u, listId) => complete(u, listId), ana.listId);
      expect(await tripCount()).toBe(0);
      expect(await itemsOf(t, ana, ana.listId)).toHaveLength(1);
    });

    it('should answer 400 naming the list id when it is not a UUID', async () => {
      const ana = await registerUser(t);
      expectInvalid(await complete(ana, 'nope'), 'listId');
    });

    it('should require authentication', async () => {
      const ana = await registerUser(t);
      await buy(t, ana, ana.listId, ['Milk']);
      const res = await t.http.post(`/lists/${ana.listId}/trips`).send({}).expect(401);
      expectErrorBody(res.body, 401);
      expect(await tripCount()).toBe(0);
    });
  });

  describe('GET /lists/:listId/trips', () => {
    /** Completes one trip per day, oldest first; returns them oldest first. */
    const tripsOnDays = async (u: Registered, listId: string, count: number): Promise<Trip[]> => {
      const trips: Trip[] = [];
      for (let day = 0; day < count; day++) {
        setNow(t, new Date(Date.parse('2025-05-01T18:00:00.000Z') + day * DAY_MS));
        await buy(t, u, listId, [`Item ${day}`]);
        trips.push(await completeTrip(u, listId));
      }
      return trips;
    };

    it('should list the trips newest first, without their items', async () => {
      const ana = await registerUser(t);
      const trips = await tripsOnDays(ana, ana.listId, 3);

      const res = await history(ana, ana.listId).expect(200);

      const summary = ({ items: _items, removedItemIds: _removed, ...rest }: Trip) => rest;
      expect(res.body).toEqual(trips.reverse().map(summary));
      expect(res.headers['x-next-before']).toBeUndefined();
    });

    it('should answer [] for a list without trips, and not show the trips of another list', async () => {
      const ana = await registerUser(t);
      const other = await secondList(t, ana);
      await tripsOnDays(ana, other, 1);
      const res = await history(ana, ana.listId).expect(200);
      expect(res.body).toEqual([]);
      expect(res.headers['x-next-before']).toBeUndefined();
    });

    it('should page through the history with limit and the X-Next-Before cursor', async () => {
      const ana = await registerUser(t);
      const newestFirst = (await tripsOnDays(ana, ana.listId, 5)).reverse().map((trip) => trip.id);

      const first = await history(ana, ana.listId, '?limit=2').expect(200);
      const second = await history(ana, ana.listId, `?limit=2&before=${first.headers['x-next-before']}`).expect(200);
      const third = await history(ana, ana.listId, `?limit=2&before=${second.headers['x-next-before']}`).expect(200);

      expect(first.body.map((trip: Trip) => trip.id)).toEqual(newestFirst.slice(0, 2));
      expect(first.headers['x-next-before']).toBe(newestFirst[1]);
      expect(second.body.map((trip: Trip) => trip.id)).toEqual(newestFirst.slice(2, 4));
      expect(third.body.map((trip: Trip) => trip.id)).toEqual(newestFirst.slice(4));
      expect(third.headers['x-next-before']).toBeUndefined();
    });

    it('should page through trips completed at the same instant without skipping or repeating any', async () => {
      const ana = await registerUser(t);
      setNow(t, new Date('2025-05-01T18:00:00.000Z'));
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        await buy(t, ana, ana.listId, [`Item ${i}`]);
        ids.push((await completeTrip(ana, ana.listId)).id);
      }

      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 5; page++) {
        const res = await history(ana, ana.listId, `?limit=2${cursor ? `&before=${cursor}` : ''}`).expect(200);
        seen.push(...res.body.map((trip: Trip) => trip.id));
        cursor = res.headers['x-next-before'];
        if (!cursor) break;
      }

      expect([...seen].sort()).toEqual([...ids].sort());
      expect(seen).toEqual([...ids].sort().reverse());
    });

    it.each([
      ['0', '?limit=0'],
      ['101', '?limit=101'],
      ['negative', '?limit=-1'],
      ['a fraction', '?limit=1.5'],
      ['not a number', '?limit=ten'],
    ])('should answer 400 naming limit when it is %s', async (_case, query) => {
      const ana = await registerUser(t);
      expectInvalid(await history(ana, ana.listId, query), 'limit');
    });

    it('should accept limit 100', async () => {
      const ana = await registerUser(t);
      await history(ana, ana.listId, '?limit=100').expect(200);
    });

    it('should answer 400 naming before when it is not a UUID', async () => {
      const ana = await registerUser(t);
      expectInvalid(await history(ana, ana.listId, '?before=yesterday'), 'before');
    });

    it('should answer 400 when before is not a trip of this list', async () => {
      const ana = await registerUser(t);
      const [cabinTrip] = await tripsOnDays(ana, await secondList(t, ana), 1);
      for (const before of [cabinTrip.id, randomUUID()]) {
        const res = await history(ana, ana.listId, `?before=${before}`).expect(400);
        expectErrorBody(res.body, 400);
      }
    });

    it('should ignore an unknown query parameter (e.g. a cache buster) and still validate the known ones', async () => {
      const ana = await registerUser(t);
      await tripsOnDays(ana, ana.listId, 1);
      const res = await history(ana, ana.listId, '?_=12345').expect(200);
      expect(res.body).toHaveLength(1);
      expectInvalid(await history(ana, ana.listId, '?_=12345&limit=0'), 'limit');
    });

    it('should answer 404 for a list the caller is not a member of, exactly as for a missing list', async () => {
      const ana = await registerUser(t);
      await tripsOnDays(ana, ana.listId, 1);
      await expectHiddenList(t, (u, listId) => history(u, listId), ana.listId);
    });

    it('should require authentication', async () => {
      const ana = await registerUser(t);
      const res = await t.http.get(`/lists/${ana.listId}/trips`).expect(401);
      expectErrorBody(res.body, 401);
    });
  });

  describe('GET /lists/:listId/trips/:tripId', () => {
    it('should return the trip with its items to every member', async () => {
      const { owner: ana, member: bob, listId } = await ownerAndMember(t);
      await buy(t, ana, listId, ['Milk', 'Bread']);
      const { removedItemIds: _removed, ...trip } = await completeTrip(ana, listId);

      const res = await t.http.get(`/lists/${listId}/trips/${trip.id}`).set(bob.auth).expect(200);

      expect(res.body).toEqual(trip);
      expect(res.body.items.map((i: TripItem) => i.name)).toEqual(['Milk', 'Bread']);
    });

    it('should answer 404 for a trip of another list, even one the caller can see there', async () => {
      const ana = await registerUser(t);
      const other = await secondList(t, ana);
      await buy(t, ana, other, ['Firewood']);
      const cabinTrip = await completeTrip(ana, other);

      const res = await t.http.get(`/lists/${ana.listId}/trips/${cabinTrip.id}`).set(ana.auth).expect(404);

      expectErrorBody(res.body, 404);
      const missing = await t.http.get(`/lists/${ana.listId}/trips/${randomUUID()}`).set(ana.auth).expect(404);
      expect(withoutRequestId(res.body)).toEqual(withoutRequestId(missing.body));
      await t.http.get(`/lists/${other}/trips/${cabinTrip.id}`).set(ana.auth).expect(200);
    });

    it('should answer 400 naming the trip id when it is not a UUID', async () => {
      const ana = await registerUser(t);
      expectInvalid(await t.http.get(`/lists/${ana.listId}/trips/last`).set(ana.auth), 'tripId');
    });

    it('should answer 404 for a list the caller is not a member of, exactly as for a missing list', async () => {
      const ana = await registerUser(t);
      await buy(t, ana, ana.listId, ['Milk']);
      const trip = await completeTrip(ana, ana.listId);
      await expectHiddenList(t, (u, listId) => t.http.get(`/lists/${listId}/trips/${trip.id}`).set(u.auth), ana.listId);
    });

    it('should require authentication', async () => {
      const ana = await registerUser(t);
      await buy(t, ana, ana.listId, ['Milk']);
      const trip = await completeTrip(ana, ana.listId);
      const res = await t.http.get(`/lists/${ana.listId}/trips/${trip.id}`).expect(401);
      expectErrorBody(res.body, 401);
    });
  });
});

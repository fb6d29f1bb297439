import { useTestApp } from './support/app';
import { setNow } from './support/clock';
import { Registered, registerUser } from './support/factories';
import { expectInvalidExactly } from './support/expect';
import { addItem, checkItem, Item, itemsOf } from './support/lists';

/**
 * Part B of the contract: an offline phone says when a check (`checkedAt`) or a trip
 * (`completedAt`) really happened; the server keeps its own receive time beside it.
 */

interface Trip {
  id: string;
  completedAt: string;
  itemCount: number;
}

const NOW = new Date('2025-06-01T12:00:00.000Z');
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const at = (offsetMs: number) => new Date(NOW.getTime() + offsetMs).toISOString();

describe('client time (part B)', () => {
  const t = useTestApp();
  afterEach(() => jest.restoreAllMocks());

  const patch = (u: Registered, item: Item, body: Record<string, unknown>) =>
    t.http.patch(`/lists/${u.listId}/items/${item.id}`).set(u.auth).send(body);
  const complete = (u: Registered, body: Record<string, unknown> = {}) =>
    t.http.post(`/lists/${u.listId}/trips`).set(u.auth).send(body);
  const history = async (u: Registered, query = ''): Promise<{ trips: Trip[]; next: string | undefined }> => {
    const res = await t.http.get(`/lists/${u.listId}/trips${query}`).set(u.auth).expect(200);
    return { trips: res.body as Trip[], next: res.headers['x-next-before'] };
  };
  const tripCount = async (listId: string): Promise<number> => {
    const [{ n }]: { n: number }[] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM trips WHERE list_id = $1`,
      [listId],
    );
    return n;
  };
  /** Adds the item and checks it through the API at the phone's time `checkedAt` (200 asserted). */
  const buyAt = async (u: Registered, name: string, checkedAt: string): Promise<Item> => {
    const item = await addItem(t, u, u.listId, { name });
    return (await patch(u, item, { checked: true, checkedAt }).expect(200)).body as Item;
  };

  describe('PATCH /lists/:listId/items/:itemId {checked: true, checkedAt}', () => {
    it("should store the phone's checkedAt, answer it as the item's checkedAt, and keep the receive time beside it", async () => {
      const ana = await registerUser(t);
      setNow(t, NOW);
      const milk = await addItem(t, ana, ana.listId, { name: 'Milk' });
      // Checked offline an hour before the server heard of the item at all.
      const checkedAt = at(-60 * MINUTE_MS);

      const res = await patch(ana, milk, { checked: true, checkedAt }).expect(200);

      expect(res.body).toMatchObject({ checked: true, checkedBy: ana.userId, checkedAt, version: 2 });
      expect(Date.parse(res.body.checkedAt)).toBeLessThan(Date.parse(milk.createdAt));
      expect((await itemsOf(t, ana)).map((i) => [i.name, i.checkedAt])).toEqual([['Milk', checkedAt]]);
      const rows: { checkedAt: Date; receivedAt: Date }[] = await t.dataSource.query(
        `SELECT checked_at AS "checkedAt", checked_received_at AS "receivedAt" FROM items WHERE id = $1`,
        [milk.id],
      );
      expect(rows).toEqual([{ checkedAt: new Date(checkedAt), receivedAt: NOW }]);
    });

    it('should accept a time with an offset and answer it in UTC', async () => {
      const ana = await registerUser(t);
      setNow(t, NOW);
      const milk = await addItem(t, ana, ana.listId, { name: 'Milk' });
      const res = await patch(ana, milk, { checked: true, checkedAt: '2025-06-01T13:30:00+02:00' }).expect(200);
      expect(res.body.checkedAt).toBe('2025-06-01T11:30:00.000Z');
    });

    it('should stamp the server time, and keep it as the receive time too, when no checkedAt is sent (part A unchanged)', async () => {
      const ana = await registerUser(t);
      setNow(t, NOW);
      const milk = await checkItem(t, ana, ana.listId, (await addItem(t, ana, ana.listId, { name: 'Milk' })).id);
      expect(milk.checkedAt).toBe(NOW.toISOString());
      const rows: { receivedAt: Date }[] = await t.dataSource.query(
        `SELECT checked_received_at AS "receivedAt" FROM items WHERE id = $1`,
        [milk.id],
      );
      expect(rows).toEqual([{ receivedAt: NOW }]);
    });

    it('should accept checkedAt at the edges: 2 minutes ahead (clock skew) and exactly CLIENT_TIME_MAX_AGE_DAYS back', async () => {
      const ana = await registerUser(t);
      setNow(t, NOW);
      expect((await buyAt(ana, 'Milk', at(2 * MINUTE_MS))).checkedAt).toBe(at(2 * MINUTE_MS));
      expect((await buyAt(ana, 'Eggs', at(-30 * DAY_MS))).checkedAt).toBe(at(-30 * DAY_MS));
    });

    it.each([
      ['more than 2 minutes ahead', at(2 * MINUTE_MS + 1), 'must not be in the future'],
      ['a day ahead', at(DAY_MS), 'must not be in the future'],
      ['more than 30 days back', at(-30 * DAY_MS - 1), 'must be within the last 30 days'],
      [
        'without a timezone',
        '2025-06-01T11:00:00',
        'must be an ISO-8601 time with a timezone, e.g. 2025-06-01T09:30:00Z',
      ],
      ['a date only', '2025-06-01', 'must be an ISO-8601 time with a timezone, e.g. 2025-06-01T09:30:00Z'],
      [
        'not a calendar date',
        '2025-02-30T10:00:00Z',
        'must be an ISO-8601 time with a timezone, e.g. 2025-06-01T09:30:00Z',
      ],
      ['a number', NOW.getTime(), 'must be an ISO-8601 time with a timezone, e.g. 2025-06-01T09:30:00Z'],
      ['null', null, 'must be an ISO-8601 time with a timezone, e.g. 2025-06-01T09:30:00Z'],
    ])(
      'should refuse a checkedAt %s with 400 naming checkedAt, and change nothing',
      async (_label, checkedAt, problem) => {
        const ana = await registerUser(t);
        setNow(t, NOW);
        const milk = await addItem(t, ana, ana.listId, { name: 'Milk' });

        const res = await patch(ana, milk, { checked: true, checkedAt });

        expectInvalidExactly(res, ['checkedAt']);
        expect(res.body.message).toBe(`checkedAt ${problem}.`);
        expect(res.body.details).toEqual([{ field: 'checkedAt', problem }]);
        expect(await itemsOf(t, ana)).toEqual([milk]);
      },
    );

    it.each([
      ['without checked', { checkedAt: at(-MINUTE_MS) }],
      ['with checked: false', { checked: false, checkedAt: at(-MINUTE_MS) }],
    ])(
      'should refuse checkedAt %s with 400 (it says when a check happened), and change nothing',
      async (_label, body) => {
        const ana = await registerUser(t);
        setNow(t, NOW);
        const milk = await checkItem(t, ana, ana.listId, (await addItem(t, ana, ana.listId, { name: 'Milk' })).id);

        const res = await patch(ana, milk, body);

        expectInvalidExactly(res, ['checkedAt']);
        expect(res.body.message).toBe('checkedAt can only be sent with checked: true.');
        expect(await itemsOf(t, ana)).toEqual([milk]);
      },
    );

    it('should keep the first check when a checked item is checked again with another checkedAt (a retried flush)', async () => {
      const ana = await registerUser(t);
      setNow(t, NOW);
      const milk = await buyAt(ana, 'Milk', at(-10 * MINUTE_MS));

      const again = await patch(ana, milk, { checked: true, checkedAt: at(-5 * MINUTE_MS) }).expect(200);

      expect(again.body).toEqual(milk);
    });
  });

  describe('POST /lists/:listId/trips {completedAt}', () => {
    it('should order history by completedAt: a trip completed offline earlier sorts before one the server heard of first', async () => {
      const ana = await registerUser(t);
      setNow(t, NOW);
      await buyAt(ana, 'Milk', at(-20 * MINUTE_MS));
      const online = (await complete(ana).expect(201)).body as Trip;
      const later = new Date(NOW.getTime() + MINUTE_MS);
      setNow(t, later);
      await buyAt(ana, 'Bread', at(-3 * 60 * MINUTE_MS));
      // The phone completed this one three hours ago, offline; the server hears of it now.
      const offline = (await complete(ana, { completedAt: at(-3 * 60 * MINUTE_MS + MINUTE_MS) }).expect(201))
        .body as Trip;

      expect(online.completedAt).toBe(NOW.toISOString());
      expect(offline.completedAt).toBe(at(-3 * 60 * MINUTE_MS + MINUTE_MS));
      expect((await history(ana)).trips.map((trip) => trip.id)).toEqual([online.id, offline.id]);
      // The cursor pages along the same order.
      const first = await history(ana, '?limit=1');
      expect(first.trips.map((trip) => trip.id)).toEqual([online.id]);
      expect(first.next).toBe(online.id);
      const second = await history(ana, `?limit=1&before=${online.id}`);
      expect(second.trips.map((trip) => trip.id)).toEqual([offline.id]);
      const rows: { id: string; completedAt: Date; receivedAt: Date }[] = await t.dataSource.query(
        `SELECT id, completed_at AS "completedAt", received_at AS "receivedAt" FROM trips
          WHERE list_id = $1 ORDER BY received_at`,
        [ana.listId],
      );
      expect(rows).toEqual([
        { id: online.id, completedAt: NOW, receivedAt: NOW },
        { id: offline.id, completedAt: new Date(offline.completedAt), receivedAt: later },
      ]);
      const items: { name: string; checkedReceivedAt: Date }[] = await t.dataSource.query(
        `SELECT name, checked_received_at AS "checkedReceivedAt" FROM trip_items WHERE trip_id = $1`,
        [offline.id],
      );
      expect(items).toEqual([{ name: 'Bread', checkedReceivedAt: later }]);
      expect(new Date(offline.completedAt).getTime()).toBeLessThan(later.getTime());
    });

    it.each([
      ['more than 2 minutes ahead', at(2 * MINUTE_MS + 1), 'must not be in the future'],
      ['more than 30 days back', at(-30 * DAY_MS - 1), 'must be within the last 30 days'],
      [
        'without a timezone',
        '2025-06-01T11:00:00',
        'must be an ISO-8601 time with a timezone, e.g. 2025-06-01T09:30:00Z',
      ],
      ['null', null, 'must be an ISO-8601 time with a timezone, e.g. 2025-06-01T09:30:00Z'],
    ])(
      'should refuse a completedAt %s with 400 naming completedAt, and write nothing',
      async (_label, completedAt, problem) => {
        const ana = await registerUser(t);
        setNow(t, NOW);
        await buyAt(ana, 'Milk', at(-MINUTE_MS));
        const before = await itemsOf(t, ana);

        const res = await complete(ana, { completedAt });

        expectInvalidExactly(res, ['completedAt']);
        expect(res.body.message).toBe(`completedAt ${problem}.`);
        expect(res.body.details).toEqual([{ field: 'completedAt', problem }]);
        expect(await tripCount(ana.listId)).toBe(0);
        expect(await itemsOf(t, ana)).toEqual(before);
      },
    );

    it('should refuse an out-of-bounds completedAt with 400 even when nothing is checked (bad input before the rule)', async () => {
      // Found driving a fresh server with curl: the empty list's 422 came first.
      const ana = await registerUser(t);
      setNow(t, NOW);

      const res = await complete(ana, { completedAt: at(-30 * DAY_MS - 1) });

      expectInvalidExactly(res, ['completedAt']);
      expect(res.body.message).toBe('completedAt must be within the last 30 days.');
      expect(await tripCount(ana.listId)).toBe(0);
    });

    it('should accept completedAt at the edges: 2 minutes ahead and exactly 30 days back', async () => {
      const ana = await registerUser(t);
      setNow(t, NOW);
      await buyAt(ana, 'Milk', at(-MINUTE_MS));
      expect((await complete(ana, { completedAt: at(2 * MINUTE_MS) }).expect(201)).body.completedAt).toBe(
        at(2 * MINUTE_MS),
      );
      await buyAt(ana, 'Eggs', at(-30 * DAY_MS));
      expect((await complete(ana, { completedAt: at(-30 * DAY_MS) }).expect(201)).body.completedAt).toBe(
        at(-30 * DAY_MS),
      );
    });
  });

  describe('learning reads the client times', () => {
    it("should learn the walking order from the phone's checkedAt, not from the order the checks reached the server", async () => {
      const ana = await registerUser(t);
      setNow(t, NOW);
      const store = (await t.http.post(`/lists/${ana.listId}/stores`).set(ana.auth).send({ name: 'Lidl' }).expect(201))
        .body as { id: string };
      // Walked Milk, then Apples, then Bread, a minute apart; the queued checks arrive in reverse.
      await buyAt(ana, 'Bread', at(-8 * MINUTE_MS));
      await buyAt(ana, 'Apples', at(-9 * MINUTE_MS));
      await buyAt(ana, 'Milk', at(-10 * MINUTE_MS));
      await complete(ana, { storeId: store.id, completedAt: at(-7 * MINUTE_MS) }).expect(201);

      for (const name of ['Bread', 'Milk', 'Apples']) await addItem(t, ana, ana.listId, { name });
      const stores = (await t.http.get(`/lists/${ana.listId}/stores`).set(ana.auth).expect(200)).body as {
        id: string;
        learnedOrder: Record<string, number>;
      }[];
      expect(stores.find((s) => s.id === store.id)?.learnedOrder).toEqual({ Milk: 1, Apples: 2, Bread: 3 });
    });
  });

  describe('suggestions read the client times', () => {
    it("should learn a weekly habit from trips completed offline on the phone's days, sent days later and out of order", async () => {
      const ana = await registerUser(t);
      const day = (n: number) => new Date(NOW.getTime() + (n - 21) * DAY_MS).toISOString();
      // The server hears of all three trips on day 21, the newest first.
      setNow(t, NOW);
      for (const n of [14, 0, 7]) {
        await buyAt(ana, 'Milk', day(n));
        await complete(ana, { completedAt: day(n) }).expect(201);
      }

      const res = await t.http.get(`/lists/${ana.listId}/suggestions`).set(ana.auth).expect(200);

      expect(res.body).toEqual([
        expect.objectContaining({
          name: 'Milk',
          frequencyLabel: 'weekly',
          reason: 'Usually bought weekly; last bought 7 days ago.',
          lastBoughtAt: day(14),
          intervalDays: 7,
          timesBought: 3,
        }),
      ]);
    });
  });

  it('should document checkedAt and completedAt as optional date-time fields in the OpenAPI document', async () => {
    const doc = (await t.http.get('/docs-json').expect(200)).body as {
      components: {
        schemas: Record<
          string,
          { properties: Record<string, { type?: string; format?: string }>; required?: string[] }
        >;
      };
    };
    const { UpdateItemDto, CompleteTripDto } = doc.components.schemas;
    expect(UpdateItemDto.properties.checkedAt).toMatchObject({ type: 'string', format: 'date-time' });
    expect(CompleteTripDto.properties.completedAt).toMatchObject({ type: 'string', format: 'date-time' });
    expect(UpdateItemDto.required ?? []).not.toContain('checkedAt');
    expect(CompleteTripDto.required ?? []).not.toContain('completedAt');
  });
});

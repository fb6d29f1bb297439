import { useTestApp } from './support/app';
import { setNow } from './support/clock';
import { Registered, registerUser } from './support/factories';
import { addItem, Item } from './support/lists';

/**
 * Issue 10, cause 2: quick checks are evidence. Checks arriving faster than anyone taps (a
 * phone's offline queue flushed in one burst) keep their order, taps off one shelf 150–300 ms
 * apart are a route, and a tick-off at home in the list's display order counts so little
 * that it does not overturn an established order. All through HTTP, as the app sends them.
 */

interface Store {
  id: string;
  tripCount: number;
  learnedOrder: Record<string, number>;
}
interface Pair {
  a: string;
  b: string;
  ab: number;
  ba: number;
}

/** The server's clock for this test: trips happen an hour before it, so every checkedAt is in bounds. */
const NOW = Date.parse('2026-03-02T18:00:00.000Z');
const TRIP = NOW - 3_600_000;

describe('quick checks (issue 10)', () => {
  const t = useTestApp();
  afterEach(() => jest.restoreAllMocks());

  const createStore = async (u: Registered, name = 'Lidl'): Promise<Store> =>
    (await t.http.post(`/lists/${u.listId}/stores`).set(u.auth).send({ name }).expect(201)).body as Store;
  const storeOf = async (u: Registered, storeId: string): Promise<Store> => {
    const stores = (await t.http.get(`/lists/${u.listId}/stores`).set(u.auth).expect(200)).body as Store[];
    return stores.find((s) => s.id === storeId)!;
  };
  /** Adds the items in this order: the list's display order (by creation). */
  const addItems = async (u: Registered, names: string[]): Promise<Map<string, Item>> => {
    const items = new Map<string, Item>();
    for (const name of names) items.set(name, await addItem(t, u, u.listId, { name }));
    return items;
  };
  /** Checks the item through the API; with `checkedAt` (part B) when given, else at the server's time. */
  const check = async (u: Registered, item: Item, checkedAt?: number): Promise<void> => {
    const body =
      checkedAt === undefined ? { checked: true } : { checked: true, checkedAt: new Date(checkedAt).toISOString() };
    await t.http.patch(`/lists/${u.listId}/items/${item.id}`).set(u.auth).send(body).expect(200);
  };
  /** Checks the named items through the API at the phone's times (`checkedAt`), received at NOW. */
  const checkAtTimes = async (u: Registered, items: Map<string, Item>, walk: [string, number][]): Promise<void> => {
    setNow(t, new Date(NOW));
    for (const [name, at] of walk) await check(u, items.get(name)!, at);
  };
  const completeTrip = async (u: Registered, storeId: string) => {
    setNow(t, new Date(NOW));
    await t.http.post(`/lists/${u.listId}/trips`).set(u.auth).send({ storeId }).expect(201);
  };
  const pairsOf = async (storeId: string): Promise<Pair[]> =>
    t.dataSource.query(`SELECT a, b, ab, ba FROM store_pairs WHERE store_id = $1 ORDER BY a, b`, [storeId]);
  /** The learned order of these products, as the app reads it once they are on the list. */
  const learnedOrderOf = async (u: Registered, storeId: string, names: string[]) => {
    await addItems(u, names);
    return (await storeOf(u, storeId)).learnedOrder;
  };

  // Added in this order (display positions Eggs 0, Milk 1, Apples 2, Bread 3); walked Milk,
  // Bread, Eggs, Apples: no run of it follows the display order either way.
  const ADDED = ['Eggs', 'Milk', 'Apples', 'Bread'];
  const WALKED = ['Milk', 'Bread', 'Eggs', 'Apples'];
  const FULL_WEIGHT_PAIRS: Pair[] = [
    { a: 'apples', b: 'bread', ab: 0, ba: 1 },
    { a: 'apples', b: 'eggs', ab: 0, ba: 1 },
    { a: 'apples', b: 'milk', ab: 0, ba: 1 },
    { a: 'bread', b: 'eggs', ab: 1, ba: 0 },
    { a: 'bread', b: 'milk', ab: 0, ba: 1 },
    { a: 'eggs', b: 'milk', ab: 0, ba: 1 },
  ];

  it('should learn a burst of queued checks 5 ms apart (checkedAt) in its order, in full', async () => {
    const ana = await registerUser(t);
    const store = await createStore(ana);
    const items = await addItems(ana, ADDED);
    // Made offline 5 ms apart (the phone's times), all received at NOW.
    await checkAtTimes(
      ana,
      items,
      WALKED.map((name, i) => [name, TRIP + i * 5]),
    );

    await completeTrip(ana, store.id);

    expect(await pairsOf(store.id)).toEqual(FULL_WEIGHT_PAIRS);
    expect(await learnedOrderOf(ana, store.id, ['Apples', 'Bread'])).toEqual({ Milk: 1, Bread: 2, Eggs: 3, Apples: 4 });
  });

  it('should learn a burst of queued checks arriving back to back without checkedAt in the order they arrived', async () => {
    const ana = await registerUser(t);
    const store = await createStore(ana);
    const items = await addItems(ana, ADDED);
    // The existing app sends no checkedAt: the queue arrives 5 ms apart, in the order it was made.
    for (const [i, name] of WALKED.entries()) {
      setNow(t, new Date(TRIP + i * 5));
      await check(ana, items.get(name)!);
    }

    await completeTrip(ana, store.id);

    expect(await pairsOf(store.id)).toEqual(FULL_WEIGHT_PAIRS);
    expect(await learnedOrderOf(ana, store.id, ['Eggs'])).toEqual({ Milk: 1, Bread: 2, Eggs: 3, Apples: 4 });
  });

  it('should learn taps 150–300 ms apart (three things off one shelf) as a route, in full', async () => {
    const ana = await registerUser(t);
    const store = await createStore(ana);
    const items = await addItems(ana, ADDED);
    // Milk first, then 30 s on Bread, Eggs, Apples off one shelf, 150 and 300 ms apart.
    await checkAtTimes(ana, items, [
      ['Milk', TRIP],
      ['Bread', TRIP + 30_000],
      ['Eggs', TRIP + 30_150],
      ['Apples', TRIP + 30_450],
    ]);

    await completeTrip(ana, store.id);

    expect(await pairsOf(store.id)).toEqual(FULL_WEIGHT_PAIRS);
    expect(await learnedOrderOf(ana, store.id, ['Milk'])).toEqual({ Milk: 1, Bread: 2, Eggs: 3, Apples: 4 });
  });

  it('should not let a tick-off at home in display order overturn an established order', async () => {
    const ana = await registerUser(t);
    const store = await createStore(ana);
    // Display order (by creation): Milk, Eggs, Tea, Bread. The store's walk: Tea, Eggs, Bread, Milk.
    const added = ['Milk', 'Eggs', 'Tea', 'Bread'];
    for (let trip = 0; trip < 2; trip++) {
      const items = await addItems(ana, added);
      // Tea, then 30 s on three things off one shelf, tapped quickly (not in display order).
      await checkAtTimes(ana, items, [
        ['Tea', TRIP],
        ['Eggs', TRIP + 30_000],
        ['Bread', TRIP + 30_200],
        ['Milk', TRIP + 30_450],
      ]);
      await completeTrip(ana, store.id);
    }
    const items = await addItems(ana, added);
    // Bread ticked in the store; the rest ticked at home ten minutes later, top to bottom as shown.
    await checkAtTimes(ana, items, [
      ['Bread', TRIP],
      ['Milk', TRIP + 600_000],
      ['Eggs', TRIP + 600_300],
      ['Tea', TRIP + 600_600],
    ]);

    await completeTrip(ana, store.id);

    // Two trips' evidence (1 + 0.75), aged one trip (× 0.75) = 1.3125, against 0.1 for the tick-off.
    expect(await pairsOf(store.id)).toEqual([
      { a: 'bread', b: 'eggs', ab: 0.1, ba: 1.3125 },
      { a: 'bread', b: 'milk', ab: 1.4125, ba: 0 },
      { a: 'bread', b: 'tea', ab: 0.1, ba: 1.3125 },
      { a: 'eggs', b: 'milk', ab: 1.3125, ba: 0.1 },
      { a: 'eggs', b: 'tea', ab: 0.1, ba: 1.3125 },
      { a: 'milk', b: 'tea', ab: 0.1, ba: 1.3125 },
    ]);
    expect(await storeOf(ana, store.id)).toMatchObject({ tripCount: 3 });
    expect(await learnedOrderOf(ana, store.id, ['Bread'])).toEqual({ Tea: 1, Eggs: 2, Bread: 3, Milk: 4 });
  });
});

import { useTestApp } from './support/app';
import { setNow } from './support/clock';
import { expectHiddenList, expectInvalid } from './support/expect';
import { expectErrorBody, Registered, registerUser } from './support/factories';
import { buy } from './support/lists';

interface Suggestion {
  name: string;
  unit: string;
  frequencyLabel: string;
  reason: string;
  lastBoughtAt: string;
  intervalDays: number | null;
  timesBought: number;
  score: number;
}

type Product = string | { name: string; unit: string };

const DAY_MS = 86_400_000;
/** Day 0 of every simulated household: a Monday, early evening. */
const START = Date.parse('2025-01-06T17:00:00.000Z');
const day = (n: number) => new Date(START + n * DAY_MS);

/** Every `every` days from `from` through `to` (inclusive). */
function days(from: number, to: number, every: number): number[] {
  const result: number[] = [];
  for (let d = from; d <= to; d += every) result.push(d);
  return result;
}

describe('suggestions', () => {
  const t = useTestApp();
  afterEach(() => jest.restoreAllMocks());

  /** One completed trip on day `n` that bought these products. */
  const shop = async (u: Registered, listId: string, n: number, products: Product[]): Promise<void> => {
    setNow(t, day(n));
    await buy(t, u, listId, products);
    await t.http.post(`/lists/${listId}/trips`).set(u.auth).send({}).expect(201);
  };
  /** A household that buys each product on its own days, one trip per shopping day. */
  const household = async (u: Registered, listId: string, schedule: Record<string, number[]>): Promise<void> => {
    const shoppingDays = [...new Set(Object.values(schedule).flat())].sort((x, y) => x - y);
    for (const n of shoppingDays) {
      await shop(
        u,
        listId,
        n,
        Object.keys(schedule).filter((name) => schedule[name].includes(n)),
      );
    }
  };
  const suggestionsOn = async (u: Registered, listId: string, n: number): Promise<Suggestion[]> => {
    setNow(t, day(n));
    return (await t.http.get(`/lists/${listId}/suggestions`).set(u.auth).expect(200)).body as Suggestion[];
  };

  it('should answer [] for a list without trip history', async () => {
    const ana = await registerUser(t);
    await t.http.post(`/lists/${ana.listId}/items`).set(ana.auth).send({ name: 'Milk' }).expect(201);
    expect(await suggestionsOn(ana, ana.listId, 0)).toEqual([]);
  });

  it('should suggest a product bought before, in the Suggestion shape', async () => {
    const ana = await registerUser(t);
    for (const n of [0, 7, 14]) await shop(ana, ana.listId, n, [{ name: 'Milk', unit: 'l' }]);

    expect(await suggestionsOn(ana, ana.listId, 21)).toEqual([
      {
        name: 'Milk',
        unit: 'l',
        frequencyLabel: 'weekly',
        reason: 'Usually bought weekly; last bought 7 days ago.',
        lastBoughtAt: day(14).toISOString(),
        intervalDays: 7,
        timesBought: 3,
        score: expect.any(Number),
      },
    ]);
  });

  it('should label each product by its real interval, however recently it was bought', async () => {
    const ana = await registerUser(t);
    await household(ana, ana.listId, {
      Coffee: days(0, 56, 7),
      Rice: days(0, 60, 10),
      Detergent: days(0, 60, 30),
    });

    const suggestions = await suggestionsOn(ana, ana.listId, 61);

    const byName = Object.fromEntries(suggestions.map((s) => [s.name, [s.frequencyLabel, s.intervalDays]]));
    expect(byName).toEqual({
      Coffee: ['weekly', 7],
      Rice: ['every ~10 days', 10],
      Detergent: ['monthly', 30],
    });
  });

  it('should rank a due product above one bought more often and more recently that is not due yet', async () => {
    const ana = await registerUser(t);
    await household(ana, ana.listId, {
      // Weekly, six times, last bought yesterday: not due.
      Rice: days(0, 35, 7),
      // Every five days, three times, last bought six days ago: due.
      Coffee: days(20, 30, 5),
    });

    const suggestions = await suggestionsOn(ana, ana.listId, 36);

    expect(suggestions.map((s) => s.name)).toEqual(['Coffee', 'Rice']);
    expect(suggestions[0].score).toBeGreaterThan(suggestions[1].score);
    expect(suggestions.map((s) => s.timesBought)).toEqual([3, 6]);
  });

  it('should rank products bought once after the products bought repeatedly', async () => {
    const ana = await registerUser(t);
    await household(ana, ana.listId, {
      Saffron: [0],
      Candles: [40],
      Milk: days(30, 44, 7),
      Coffee: days(20, 40, 5),
    });

    const suggestions = await suggestionsOn(ana, ana.listId, 50);

    // Shopping days 0, 20, 25, 30, 35, 37, 40, 44: the trip gap is the median of 20, 5, 5, 5, 2,
    // 3, 4 = 5 days. Milk (every 7 days, bought on the latest trip 6 days ago): lasts 7 - 2.5 =
    // 4.5 days, 0.98 × Φ(ln(6 / 4.5) / 0.25 = 1.1507) = 0.98 × 0.87508 = 0.858. Coffee (every 5
    // days, last on day 40): lasts 2.5 days; the trip on day 44 passed it by (Φ(ln(4 / 2.5) / 0.25
    // = 1.880) = 0.96995), 10 days: Φ ≈ 1: 0.98 × 0.03005 / (0.98 × 0.03005 + 0.02) = 0.596.
    // Bought once: 0.1 × elapsed / (50 days + 17 h since the first shopping day began): Saffron
    // 0.1 × 50 / 50.708 = 0.099, Candles 0.1 × 10 / 50.708 = 0.020.
    expect(suggestions.map((s) => [s.name, s.score])).toEqual([
      ['Milk', 0.858],
      ['Coffee', 0.596],
      ['Saffron', 0.099],
      ['Candles', 0.02],
    ]);
    expect(suggestions.find((s) => s.name === 'Saffron')).toMatchObject({
      timesBought: 1,
      intervalDays: null,
      frequencyLabel: 'bought once',
      lastBoughtAt: day(0).toISOString(),
    });
    const scores = suggestions.map((s) => s.score);
    expect(scores).toEqual([...scores].sort((x, y) => y - x));
  });

  it('should let a product the latest trips passed by sink as dropped, but not one after a holiday without trips', async () => {
    const ana = await registerUser(t);
    const cabin = (await t.http.post('/lists').set(ana.auth).send({ name: 'Cabin' }).expect(201)).body.id as string;
    // Weekly trips; tea stopped after day 21, bread went on through day 42.
    await household(ana, ana.listId, { Tea: days(0, 21, 7), Bread: days(0, 42, 7) });
    // The cabin's only trips bought tea, through day 21; nobody shopped there since.
    await household(ana, cabin, { Tea: days(0, 21, 7) });

    // Trip gap 7 days: tea and bread last 7 - 3.5 = 3.5 days. Home: the trips on days 28, 35
    // and 42 passed tea by (F(21) = Φ(ln(21 / 3.5) / 0.25 = 7.17) ≈ 1): 0.98 × (F(23) - F(21)) /
    // (0.98 × (1 - F(21)) + 0.02) ≈ 0. Bread (bought on the latest trip, 2 days ago):
    // 0.98 × Φ(ln(2 / 3.5) / 0.25 = -2.238) = 0.98 × 0.01260 = 0.012.
    expect((await suggestionsOn(ana, ana.listId, 44)).map((s) => [s.name, s.score])).toEqual([
      ['Bread', 0.012],
      ['Tea', 0],
    ]);
    // Cabin: tea was bought on its latest trip, 23 days ago: 0.98 × Φ(ln(23 / 3.5) / 0.25 = 7.53) = 0.98.
    // (The old time-based lapse gave it (23 + 7) / 7 × e^-(23/7 - 2)/0.5 × 4/5 = 0.262.)
    expect((await suggestionsOn(ana, cabin, 44)).map((s) => [s.name, s.score])).toEqual([['Tea', 0.98]]);
  });

  it('should leave out products that are on the list, compared case- and whitespace-insensitively', async () => {
    const ana = await registerUser(t);
    await household(ana, ana.listId, { Milk: [0, 7], 'Oat Milk': [0, 7], Bread: [0, 7] });
    for (const name of ['MILK', 'oat   milk']) {
      await t.http.post(`/lists/${ana.listId}/items`).set(ana.auth).send({ name }).expect(201);
    }

    const suggestions = await suggestionsOn(ana, ana.listId, 14);

    expect(suggestions.map((s) => s.name)).toEqual(['Bread']);
  });

  it('should count one product across spellings, named and measured as it was last bought', async () => {
    const ana = await registerUser(t);
    await shop(ana, ana.listId, 0, ['milk']);
    await shop(ana, ana.listId, 7, [{ name: 'MILK', unit: 'bottle' }]);
    await shop(ana, ana.listId, 14, [{ name: 'Milk', unit: 'l' }]);

    const suggestions = await suggestionsOn(ana, ana.listId, 20);

    expect(suggestions).toEqual([
      expect.objectContaining({ name: 'Milk', unit: 'l', timesBought: 3, intervalDays: 7, frequencyLabel: 'weekly' }),
    ]);
  });

  it('should count several trips on one day as one purchase', async () => {
    const ana = await registerUser(t);
    await shop(ana, ana.listId, 0, ['Milk']);
    await shop(ana, ana.listId, 0.1, ['Milk']);
    await shop(ana, ana.listId, 10, ['Milk']);

    const [milk] = await suggestionsOn(ana, ana.listId, 12);

    expect(milk).toMatchObject({ timesBought: 2, intervalDays: 10, frequencyLabel: 'every ~10 days' });
  });

  it("should use only the list's own trip history", async () => {
    const ana = await registerUser(t);
    const other = (await t.http.post('/lists').set(ana.auth).send({ name: 'Cabin' }).expect(201)).body.id as string;
    await household(ana, other, { Firewood: [0, 7] });
    await household(ana, ana.listId, { Milk: [0, 7] });

    expect((await suggestionsOn(ana, ana.listId, 10)).map((s) => s.name)).toEqual(['Milk']);
    expect((await suggestionsOn(ana, other, 10)).map((s) => s.name)).toEqual(['Firewood']);
  });

  it('should answer 404 for a list the caller is not a member of, exactly as for a missing list', async () => {
    const ana = await registerUser(t);
    await shop(ana, ana.listId, 0, ['Milk']);
    await expectHiddenList(t, (u, listId) => t.http.get(`/lists/${listId}/suggestions`).set(u.auth), ana.listId);
  });

  it('should answer 400 naming the list id when it is not a UUID', async () => {
    const ana = await registerUser(t);
    expectInvalid(await t.http.get('/lists/mine/suggestions').set(ana.auth), 'listId');
  });

  it('should require authentication', async () => {
    const ana = await registerUser(t);
    const res = await t.http.get(`/lists/${ana.listId}/suggestions`).expect(401);
    expectErrorBody(res.body, 401);
  });
});

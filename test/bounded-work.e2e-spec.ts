import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { EntityManager } from 'typeorm';
import { StorePairsBounded1764200000002 } from '../migrations/1764200000002-StorePairsBounded';
import { Purchase, suggest, suggestFrom, SuggestionScore, summarize } from '../src/suggestions/repurchase';
import { TestApp, useTestApp } from './support/app';
import { setNow } from './support/clock';
import { bestOf, LOOP_BUDGET_MS, LoopFigures } from './support/event-loop-budget';
import { Registered, registerUser } from './support/factories';
import { ListBody } from './support/lists';
import { receiptSteps, storedReceiptKeys } from './support/receipts';

/** The quotas another part of the issue sets: items per list, stores per list. */
const ITEMS = 2000;
const STORES = 50;
/** Products whose walking order a store keeps learning (STORE_LEARNED_PRODUCTS, the default). */
const LEARNED = 100;

const name = (i: number) => `Product ${String(i).padStart(4, '0')}`;

type Judged = 'maxDelayMs' | 'slowestHealthMs' | 'longestTaskCpuMs';

/**
 * /health and the loop kept within the budget (or the one given for a figure), and no task of
 * the loop longer than it (in CPU time); a failure shows the figures over it next to all that
 * was measured.
 */
function expectWithinBudget(figures: LoopFigures<unknown>, budgets: Partial<Record<Judged, number>> = {}): void {
  const { result: _result, ...measured } = figures;
  const { maxDelayMs, slowestHealthMs, longestTaskCpuMs } = measured;
  const over = Object.entries({ maxDelayMs, slowestHealthMs, longestTaskCpuMs }).filter(
    ([figure, ms]) => !(ms < (budgets[figure as Judged] ?? LOOP_BUDGET_MS)),
  );
  expect({ over: Object.fromEntries(over), measured }).toEqual({ over: {}, measured });
}

describe('walking order at the quota limits (2,000 items, 50 learned stores)', () => {
  jest.setTimeout(240_000);
  const t = useTestApp();

  /**
   * A list at the quota limits, written straight into the tables: ITEMS items, STORES stores,
   * each store with the full pairwise evidence among LEARNED of them (every pair seen in
   * trip 12; even stores walk them in ascending order, odd stores in descending order).
   */
  const listAtQuotaLimits = async () => {
    const ana = await registerUser(t);
    await t.dataSource.query(
      `INSERT INTO items (list_id, name, added_by, created_at)
       SELECT $1, 'Product ' || lpad(i::text, 4, '0'), $2, now() + i * interval '1 ms'
         FROM generate_series(1, $3::int) i`,
      [ana.listId, ana.userId, ITEMS],
    );
    await t.dataSource.query(
      `INSERT INTO stores (list_id, name, name_key, trip_count, created_at)
       SELECT $1, 'Store ' || s, 'store ' || s, 12, now() + s * interval '1 ms' FROM generate_series(0, $2::int - 1) s`,
      [ana.listId, STORES],
    );
    await t.dataSource.query(
      `INSERT INTO store_pairs (store_id, a, b, ab, ba, trip)
       SELECT st.id, 'product ' || lpad(i::text, 4, '0'), 'product ' || lpad(j::text, 4, '0'),
              CASE WHEN right(st.name, 1)::int % 2 = 0 THEN 3 ELSE 0 END,
              CASE WHEN right(st.name, 1)::int % 2 = 0 THEN 0 ELSE 3 END, 12
         FROM stores st, generate_series(1, $2::int) i, generate_series(1, $2::int) j
        WHERE st.list_id = $1 AND i < j`,
      [ana.listId, LEARNED],
    );
    const stores: { id: string; name: string }[] = await t.dataSource.query(
      `SELECT id, name FROM stores WHERE list_id = $1 ORDER BY created_at`,
      [ana.listId],
    );
    return { ana, stores };
  };

  describe('event-loop budget', () => {
    it('should keep /health answering within the budget while GET /lists/:id/stores ranks every store', async () => {
      const { ana, stores } = await listAtQuotaLimits();

      const figures = await bestOf(t, () => t.http.get(`/lists/${ana.listId}/stores`).set(ana.auth).expect(200));

      const body = figures.result.body as { name: string; learnedOrder: Record<string, number> }[];
      expect(body.map((store) => store.name)).toEqual(stores.map((store) => store.name));
      expect(Object.keys(body[0].learnedOrder)).toHaveLength(LEARNED);
      expect(body[0].learnedOrder[name(1)]).toBe(1);
      expect(body[0].learnedOrder[name(LEARNED)]).toBe(LEARNED);
      expect(body[1].learnedOrder[name(1)]).toBe(LEARNED);
      expect(body[0].learnedOrder[name(LEARNED + 1)]).toBeUndefined();
      expectWithinBudget(figures);
    });

    it('should keep /health answering within the budget while GET /lists/:id?storeId= orders 2,000 items', async () => {
      const { ana, stores } = await listAtQuotaLimits();

      const figures = await bestOf(t, () =>
        t.http.get(`/lists/${ana.listId}?storeId=${stores[1].id}`).set(ana.auth).expect(200),
      );

      const names = (figures.result.body as ListBody).items.map((item) => item.name);
      expect(names).toHaveLength(ITEMS);
      // The learned products in the store's (descending) order, then the rest as on the list.
      expect(names.slice(0, 3)).toEqual([name(LEARNED), name(LEARNED - 1), name(LEARNED - 2)]);
      expect(names.slice(LEARNED - 1, LEARNED + 2)).toEqual([name(1), name(LEARNED + 1), name(LEARNED + 2)]);
      expectWithinBudget(figures);
    });
  });
});

describe('learning a store (STORE_LEARNED_PRODUCTS=10)', () => {
  const t = useTestApp({ STORE_LEARNED_PRODUCTS: '10' });
  const T0 = Date.parse('2025-03-01T10:00:00.000Z');

  /** Adds the products and has `u` check them in this order, 30 s apart, then completes the trip at the store. */
  const trip = async (u: Registered, storeId: string, products: number[]) => {
    for (const [i, n] of products.entries()) {
      const item = await t.http
        .post(`/lists/${u.listId}/items`)
        .set(u.auth)
        .send({ name: name(n) })
        .expect(201);
      await t.dataSource.query('UPDATE items SET checked = true, checked_by = $1, checked_at = $2 WHERE id = $3', [
        u.userId,
        new Date(T0 + i * 30_000),
        (item.body as { id: string }).id,
      ]);
    }
    await t.http.post(`/lists/${u.listId}/trips`).set(u.auth).send({ storeId }).expect(201);
  };
  const learnedProducts = async (storeId: string): Promise<string[]> => {
    const rows: { key: string }[] = await t.dataSource.query(
      `SELECT a AS key FROM store_pairs WHERE store_id = $1 UNION SELECT b FROM store_pairs WHERE store_id = $1
        ORDER BY key`,
      [storeId],
    );
    return rows.map((row) => row.key);
  };
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
  const keys = (numbers: number[]) => numbers.map((n) => name(n).toLowerCase());

  it('should learn only the first STORE_LEARNED_PRODUCTS products walked in a longer trip', async () => {
    const ana = await registerUser(t);
    const store = (await t.http.post(`/lists/${ana.listId}/stores`).set(ana.auth).send({ name: 'Lidl' }).expect(201))
      .body as { id: string };

    await trip(ana, store.id, range(1, 15));

    expect(await learnedProducts(store.id)).toEqual(keys(range(1, 10)));
    const [{ count }]: { count: number }[] = await t.dataSource.query(
      `SELECT count(*)::int AS count FROM store_pairs WHERE store_id = $1`,
      [store.id],
    );
    expect(count).toBe(45);
  });

  it('should forget the least recently walked products beyond STORE_LEARNED_PRODUCTS, and rank the others', async () => {
    const ana = await registerUser(t);
    const store = (await t.http.post(`/lists/${ana.listId}/stores`).set(ana.auth).send({ name: 'Lidl' }).expect(201))
      .body as { id: string };
    await trip(ana, store.id, range(1, 10));

    await trip(ana, store.id, range(11, 16));

    // The six of the last trip, then the four of the first one that come first by key.
    expect(await learnedProducts(store.id)).toEqual(keys([1, 2, 3, 4, ...range(11, 16)]));
    for (const n of range(1, 16)) {
      await t.http
        .post(`/lists/${ana.listId}/items`)
        .set(ana.auth)
        .send({ name: name(n) })
        .expect(201);
    }
    const [view] = (await t.http.get(`/lists/${ana.listId}/stores`).set(ana.auth).expect(200)).body as {
      learnedOrder: Record<string, number>;
    }[];
    expect(Object.keys(view.learnedOrder).sort()).toEqual([1, 2, 3, 4, ...range(11, 16)].map(name));
  });

  it('should bring a store learned before the rule within 100 products, keeping the most recent (migration)', async () => {
    const ana = await registerUser(t);
    const store = (await t.http.post(`/lists/${ana.listId}/stores`).set(ana.auth).send({ name: 'Lidl' }).expect(201))
      .body as { id: string };
    // 60 products walked in trip 5, 60 others in trip 9: 3,540 pairs, 120 products.
    await t.dataSource.query(
      `INSERT INTO store_pairs (store_id, a, b, ab, ba, trip)
       SELECT $1, 'product ' || lpad(i::text, 4, '0'), 'product ' || lpad(j::text, 4, '0'), 1, 0,
              CASE WHEN i <= 60 THEN 5 ELSE 9 END
         FROM generate_series(1, 120) i, generate_series(1, 120) j
        WHERE i < j AND (i <= 60) = (j <= 60)`,
      [store.id],
    );
    const runner = t.dataSource.createQueryRunner();
    try {
      await new StorePairsBounded1764200000002().up(runner);
    } finally {
      await runner.release();
    }

    // Those of trip 9, then the first 40 of trip 5 by key.
    expect(await learnedProducts(store.id)).toEqual(keys([...range(1, 40), ...range(61, 120)]));
  });
});

/** A 13 KB HEIC of 8000×7000 white pixels (heif-enc -q 10 of a white PNG): 56 million declared pixels. */
const HEIC_BOMB = join(__dirname, 'fixtures', 'receipt-bomb-8000x7000.heic');
/** A phone-sized HEIC, 4032×3024 (12 MP) of one paper colour (heif-enc -q 50), 8 KB. */
const HEIC_12MP = join(__dirname, 'fixtures', 'receipt-4032x3024.heic');

describe('receipt photos at the default limits (RECEIPT_MAX_PIXELS=50000000)', () => {
  jest.setTimeout(120_000);
  const t = useTestApp();
  const { tripOf, upload } = receiptSteps(t);

  it('should refuse a HEIC bomb by its declared size: 422 without decoding, /health within budget, RSS flat', async () => {
    const ana = await registerUser(t);
    const trip = await tripOf(ana);
    const bomb = await readFile(HEIC_BOMB);
    const rssBefore = process.memoryUsage.rss();

    const figures = await bestOf(t, () => upload(ana, trip, bomb, { contentType: 'image/heic' }));

    expect(figures.result.status).toBe(422);
    expect(figures.result.body).toMatchObject({ statusCode: 422, message: 'The photo has too many pixels.' });
    expectWithinBudget(figures);
    expect((figures.peakRss - rssBefore) / 1e6).toBeLessThan(100);
    expect(await storedReceiptKeys(t)).toEqual([]);
  });

  it('should decode a 12 MP HEIC off the main thread: a JPEG, with /health within budget', async () => {
    const ana = await registerUser(t);
    const trip = await tripOf(ana);
    const heic = await readFile(HEIC_12MP);

    const figures = await bestOf(t, () => upload(ana, trip, heic, { contentType: 'image/heic' }));

    expect(figures.result.status).toBe(200);
    expect((figures.result.body as { receiptUrl: string }).receiptUrl).toMatch(/\.jpg\?/);
    expectWithinBudget(figures);
  });
});

describe('a HEIC decoder that runs out of memory (RECEIPT_DECODE_HEAP_MB=4)', () => {
  const t = useTestApp({ RECEIPT_DECODE_HEAP_MB: '4' });
  const { tripOf, upload } = receiptSteps(t);

  it('should answer 415 "could not be read", never a 500, and keep the process serving', async () => {
    const ana = await registerUser(t);
    const trip = await tripOf(ana);

    const res = await upload(ana, trip, await readFile(HEIC_12MP), { contentType: 'image/heic' }).expect(415);

    expect(res.body).toMatchObject({
      statusCode: 415,
      message: 'The file could not be read as the image it claims to be.',
    });
    await t.http.get('/health').expect(200);
    expect(await storedReceiptKeys(t)).toEqual([]);
  });
});

const START = Date.parse('2025-01-06T17:00:00.000Z');
const NOW = new Date(START + 300 * 86_400_000);
const ON_LIST = new Set(['product 3', 'product 7']);

/** The answer's shape, as the service maps the core's suggestions. */
function answered(suggestions: SuggestionScore[]) {
  return suggestions.map((s) => ({
    name: s.name,
    unit: s.unit,
    frequencyLabel: s.frequencyLabel,
    reason: s.reason,
    lastBoughtAt: s.lastBoughtAt.toISOString(),
    intervalDays: s.intervalDays,
    timesBought: s.timesBought,
    score: s.score,
  }));
}

function suggestionSteps(t: TestApp) {
  /**
   * 300 trips on days 0…299 (one a day), buying product i (of 60) every 2 + i % 13 days,
   * and 250 trips 451–700 days before NOW with 20 products each (5,000 old trip items);
   * products 3 and 7 are on the list.
   */
  const household = async () => {
    const ana = await registerUser(t);
    await t.dataSource.query(
      `INSERT INTO trips (list_id, completed_by, completed_at, item_count)
       SELECT $1, $2, $3::timestamptz + d * interval '1 day', 0
         FROM (SELECT generate_series(0, 299) AS d UNION ALL SELECT generate_series(-400, -151)) days`,
      [ana.listId, ana.userId, new Date(START)],
    );
    await t.dataSource.query(
      `INSERT INTO trip_items (trip_id, item_id, product_key, name, quantity, unit)
       SELECT t.id, gen_random_uuid(), 'product ' || i, 'Product ' || i, 1, CASE WHEN i % 3 = 0 THEN 'kg' ELSE 'pcs' END
         FROM trips t, generate_series(1, 60) i,
              LATERAL (SELECT round(extract(epoch FROM t.completed_at - $2::timestamptz) / 86400)::int AS d) day
        WHERE t.list_id = $1
          AND (CASE WHEN day.d >= 0 THEN (day.d + i) % (2 + i % 13) = 0 ELSE i <= 20 END)`,
      [ana.listId, new Date(START)],
    );
    await t.http.post(`/lists/${ana.listId}/items`).set(ana.auth).send({ name: 'Product 3' }).expect(201);
    await t.http.post(`/lists/${ana.listId}/items`).set(ana.auth).send({ name: 'product 7 ' }).expect(201);
    return ana;
  };
  /** Every purchase of the `trips` most recent trips within 400 days, oldest first. */
  const purchasesOf = (listId: string, trips: number): Promise<Purchase[]> =>
    t.dataSource.query(
      `SELECT ti.product_key AS key, ti.name, ti.unit, t.completed_at AS at, t.id AS "tripId"
         FROM trip_items ti JOIN (
           SELECT id, completed_at FROM trips
            WHERE list_id = $1 AND completed_at > $2::timestamptz - interval '400 days'
            ORDER BY completed_at DESC, id DESC LIMIT $3) t ON t.id = ti.trip_id
        ORDER BY t.completed_at, t.id`,
      [listId, NOW, trips],
    );
  const suggestionsOf = async (ana: Registered) => {
    setNow(t, NOW);
    return (await t.http.get(`/lists/${ana.listId}/suggestions`).set(ana.auth).expect(200)).body as unknown;
  };
  return { household, purchasesOf, suggestionsOf };
}

describe('suggestions read a bounded summary of the history (defaults: 400 days, 250 trips, 500 products)', () => {
  const t = useTestApp();
  afterEach(() => jest.restoreAllMocks());
  const { household, purchasesOf, suggestionsOf } = suggestionSteps(t);

  it('should answer exactly what scoring every recent purchase gives, reading a row per product, not per purchase', async () => {
    const ana = await household();
    const [{ recent, old }]: { recent: number; old: number }[] = await t.dataSource.query(
      `SELECT count(*) FILTER (WHERE t.completed_at >= $2)::int AS recent,
              count(*) FILTER (WHERE t.completed_at < $2)::int AS old
         FROM trip_items ti JOIN trips t ON t.id = ti.trip_id WHERE t.list_id = $1`,
      [ana.listId, new Date(START)],
    );
    expect([recent, old]).toEqual([3133, 5000]);
    // Rows that statements reading the trips sent to the server.
    const rowsRead: number[] = [];
    const query = EntityManager.prototype.query;
    jest.spyOn(EntityManager.prototype, 'query').mockImplementation(async function (this: EntityManager, ...args) {
      const rows: unknown = await query.apply(this, args);
      if (/\btrips\b/.test(args[0]) && Array.isArray(rows)) rowsRead.push(rows.length);
      return rows;
    });

    const body = await suggestionsOf(ana);

    jest.restoreAllMocks();
    // A row per product (60) and per shopping day (250), not one per purchase (2,609).
    expect(rowsRead).toEqual([60, 250]);
    const purchases = await purchasesOf(ana.listId, 250);
    expect(purchases).toHaveLength(2609);
    const expected = answered(suggest(purchases, ON_LIST, NOW, 20));
    expect(expected).toHaveLength(20);
    expect(body).toEqual(expected);
  });
});

describe('suggestions with SUGGESTION_HISTORY_TRIPS=30', () => {
  const t = useTestApp({ SUGGESTION_HISTORY_TRIPS: '30' });
  afterEach(() => jest.restoreAllMocks());
  const { household, purchasesOf, suggestionsOf } = suggestionSteps(t);

  it('should read the 30 most recent trips only', async () => {
    const ana = await household();

    const body = await suggestionsOf(ana);

    expect(body).toEqual(answered(suggest(await purchasesOf(ana.listId, 30), ON_LIST, NOW, 20)));
    expect(body).not.toEqual(answered(suggest(await purchasesOf(ana.listId, 250), ON_LIST, NOW, 20)));
  });
});

describe('suggestions with SUGGESTION_PRODUCTS=25', () => {
  const t = useTestApp({ SUGGESTION_PRODUCTS: '25' });
  afterEach(() => jest.restoreAllMocks());
  const { household, purchasesOf, suggestionsOf } = suggestionSteps(t);

  it('should score the 25 most recently bought products only', async () => {
    const ana = await household();
    const history = summarize(await purchasesOf(ana.listId, 250));
    const mostRecent = [...history.products]
      .sort((x, y) => y.latest.getTime() - x.latest.getTime() || (x.key < y.key ? -1 : 1))
      .slice(0, 25);

    const body = await suggestionsOf(ana);

    expect(body).toEqual(answered(suggestFrom({ ...history, products: mostRecent }, ON_LIST, NOW, 20)));
    expect(body).not.toEqual(answered(suggestFrom(history, ON_LIST, NOW, 20)));
  });
});

/**
 * 50 sign-ins sent at once from another process (an attacker is not inside the server's event
 * loop; in-process, supertest's own client work would share it), answered with their statuses.
 */
function signInFlood(t: TestApp, count: number): Promise<number[]> {
  const { port } = t.app.getHttpServer().address() as AddressInfo;
  const script = `
    const statuses = Array.from({ length: ${count} }, (_, i) =>
      fetch('http://127.0.0.1:${port}/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'nobody-' + i + '@example.com', password: 'wrong password' }),
      }).then((res) => res.status));
    Promise.all(statuses).then((all) => process.stdout.write(JSON.stringify(all)));`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', script], (error, stdout) =>
      error ? reject(new Error(error.message)) : resolve(JSON.parse(stdout) as number[]),
    );
  });
}

/**
 * While two hashes run (~52 ms of CPU each here), both cores of a 2-core machine are busy: the
 * loop (and a /health answer, whose client is in this process too) waits for a time slice even
 * though nothing blocks it. Beside a parallel suite the best of five runs was seen at 118 ms
 * (/health, CI) and 117 ms (loop delay, beside the fuzz suite). Those wall-clock figures get
 * 300 ms here; the CPU-time figures below, which load does not inflate, keep theirs.
 */
const WALL_CLOCK_BUDGET_WHILE_HASHING_MS = 300;
/**
 * What shows a hash done on the loop whatever the machine's load: the main thread's CPU time.
 * Measured here: ~410 ms for the flood and the probes with hashing in the thread pool, ~1,280 ms
 * with each verification also spending its 52 ms on the loop (19 verified: ~990 ms more).
 */
const MAIN_THREAD_CPU_WHILE_HASHING_MS = 800;

describe('password hashing at production cost (argon2id m=19 MiB, t=2; ARGON2_MAX_CONCURRENT=2, ARGON2_MAX_QUEUE=16)', () => {
  const t = useTestApp({ ARGON2_MEMORY_KIB: '19456', ARGON2_TIME_COST: '2' });

  it('should keep /health answering within the budget while 50 sign-ins run at once, each 401 or 503, never a 500', async () => {
    const figures = await bestOf(t, () => signInFlood(t, 50));

    const statuses = figures.result;
    expect(new Set(statuses)).toEqual(new Set([401, 503]));
    // Two hashing and sixteen waiting: at least 18 are verified, the rest are told to come back.
    expect(statuses.filter((status) => status === 401).length).toBeGreaterThanOrEqual(18);
    expectWithinBudget(figures, {
      slowestHealthMs: WALL_CLOCK_BUDGET_WHILE_HASHING_MS,
      maxDelayMs: WALL_CLOCK_BUDGET_WHILE_HASHING_MS,
    });
    expect(figures.mainThreadCpuMs).toBeLessThan(MAIN_THREAD_CPU_WHILE_HASHING_MS);
  });
});

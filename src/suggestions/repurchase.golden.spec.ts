import {
  baselineMostFrequent,
  baselineMostRecent,
  frequencyLabel,
  HistorySummary,
  ProductSummary,
  Purchase,
  suggest,
  suggestFrom,
  summarize,
} from './repurchase';

/**
 * Golden values for the repurchase scoring: small histories worked out by hand (the
 * arithmetic is in the comments), every threshold probed just below, at and above. Day
 * numbers are days since the epoch (UTC), small on purpose: 9 and 10 sort differently as
 * text and as numbers, so a lost numeric comparator shows.
 */
const DAY = 86_400_000;
const HOUR = 3_600_000;

/** Day `day`, `hour` o'clock UTC. */
function d(day: number, hour = 10): Date {
  return new Date(day * DAY + hour * HOUR);
}

function purchase(key: string, at: Date, name = key, unit = 'pcs'): Purchase {
  return { key, name, unit, at, tripId: `t${at.getTime()}` };
}

function product(overrides: Partial<ProductSummary> & { key: string }): ProductSummary {
  return {
    name: overrides.key,
    unit: 'pcs',
    latest: d(0),
    timesBought: 1,
    medianGapDays: null,
    ...overrides,
  };
}

/** A product bought on `timesBought` days, `gap` days apart, the last time on day `last`. */
function regular(key: string, timesBought: number, gap: number, last: Date): ProductSummary {
  return product({ key, latest: last, timesBought, medianGapDays: gap });
}

function history(products: ProductSummary[], shoppingDays: number[]): HistorySummary {
  return { products, shoppingDays };
}

describe('summarize (golden)', () => {
  it('gives per product the distinct purchase days, the median gap and the latest purchase', () => {
    const purchases = [
      // milk on days 10, 3, 0 and 0 again (given out of order): days {0, 3, 10}, gaps [3, 7]
      purchase('milk', d(10), 'Milk (organic)', 'pack'),
      purchase('Milk', d(3), 'Milk', 'l'),
      purchase('milk', d(0, 18), 'Milk', 'l'),
      purchase('MILK ', d(0, 8), 'Milk', 'l'),
      // eggs on days 2, 9, 10, 20: gaps [7, 1, 10] (as text the days would sort 10, 2, 20, 9)
      purchase('eggs', d(20)),
      purchase('eggs', d(2)),
      purchase('eggs', d(9)),
      purchase('eggs', d(10)),
      // bread once, on day 5
      purchase('bread', d(5)),
      // unusable: no time, no key
      purchase('tea', new Date(Number.NaN)),
      purchase('   ', d(1)),
    ];
    const summary = summarize(purchases);
    expect(summary.products).toEqual([
      // median of [3, 7] (even count) = (3 + 7) / 2 = 5; latest = day 10 with its name and unit
      {
        key: 'milk',
        name: 'Milk (organic)',
        unit: 'pack',
        latest: d(10),
        timesBought: 3,
        medianGapDays: 5,
      },
      // gaps sorted [1, 7, 10]: median (odd count) 7
      { key: 'eggs', name: 'eggs', unit: 'pcs', latest: d(20), timesBought: 4, medianGapDays: 7 },
      // one day: no gap at all
      {
        key: 'bread',
        name: 'bread',
        unit: 'pcs',
        latest: d(5),
        timesBought: 1,
        medianGapDays: null,
      },
    ]);
    // the union of the purchase days, ascending as numbers
    expect(summary.shoppingDays).toEqual([0, 2, 3, 5, 9, 10, 20]);
  });

  it('takes the name and unit of the purchase listed last among purchases at the same instant', () => {
    const at = d(4);
    const [butter] = summarize([
      purchase('butter', at, 'Butter', 'pcs'),
      purchase('butter', at, 'butter', 'g'),
    ]).products;
    expect(butter).toMatchObject({ name: 'butter', unit: 'g', timesBought: 1 });
  });

  it('takes the median of four gaps as the mean of the middle two', () => {
    // days 0, 1, 5, 11, 20: gaps [1, 4, 6, 9] -> (4 + 6) / 2 = 5
    const [p] = summarize([0, 1, 5, 11, 20].map((day) => purchase('p', d(day)))).products;
    expect(p).toMatchObject({ medianGapDays: 5, timesBought: 5 });
  });
});

describe('suggestFrom: run-out scores (golden)', () => {
  // milk bought 3 times, weekly, last on day 14; the list's shopping days 0, 7, 14.
  // The model (top of repurchase.ts): milk lasts T days, ln T ~ N(ln(7 - tripGap / 2), 0.25²);
  // F(x) = Φ(ln(x / lasts) / 0.25); score = 0.98 (F(elapsed) - F(atLastTrip)) / (0.98 (1 - F(atLastTrip)) + 0.02).
  const milk = regular('milk', 3, 7, d(14, 0));
  const weekly = history([milk], [0, 7, 14]);

  it('scores 0.98 × P(it has run out) for a product bought on the latest trip', () => {
    // now = day 18: elapsed 4; trip gaps [7, 7] -> 7; lasts 7 - 3.5 = 3.5;
    // z = ln(4 / 3.5) / 0.25 = 0.5341, Φ(0.5341) = 0.70337; 0.98 × 0.70337 = 0.689305 -> 0.689
    expect(suggestFrom(weekly, new Set(), d(18, 0))).toEqual([
      {
        key: 'milk',
        name: 'milk',
        unit: 'pcs',
        timesBought: 3,
        lastBoughtAt: d(14, 0),
        intervalDays: 7,
        score: 0.689,
        reason: 'Usually bought weekly; last bought 4 days ago.',
        frequencyLabel: 'weekly',
      },
    ]);
  });

  it('uses the given trip gap instead, never a negative one, and lasts at least half a day', () => {
    // trip gap 0: lasts 7, z = ln(4 / 7) / 0.25 = -2.2385, Φ = 0.012595 -> 0.012344 -> 0.012
    expect(suggestFrom(weekly, new Set(), d(18, 0), 20, { tripGapDays: 0 })[0].score).toBe(0.012);
    expect(suggestFrom(weekly, new Set(), d(18, 0), 20, { tripGapDays: -5 })[0].score).toBe(0.012);
    // trip gap 14: 7 - 7 = 0 -> lasts 0.5; z = ln(8) / 0.25 = 8.32, Φ = 1 -> 0.98
    expect(suggestFrom(weekly, new Set(), d(18, 0), 20, { tripGapDays: 14 })[0].score).toBe(0.98);
  });

  it('takes the trip gap as the median gap between shopping days, 0 with a single shopping day', () => {
    // shopping days 0, 4, 14: gaps [4, 10] -> median 7, as above: 0.689
    expect(suggestFrom(history([milk], [0, 4, 14]), new Set(), d(18, 0))[0].score).toBe(0.689);
    // shopping days 0, 1, 2, 14: gaps [1, 1, 12] -> median 1: lasts 6.5,
    // z = ln(4 / 6.5) / 0.25 = -1.9420, Φ = 0.026067 -> 0.025545 -> 0.026
    expect(suggestFrom(history([milk], [0, 1, 2, 14]), new Set(), d(18, 0))[0].score).toBe(0.026);
    // one shopping day: no gap, trip gap 0 -> 0.012
    expect(suggestFrom(history([milk], [14]), new Set(), d(18, 0))[0].score).toBe(0.012);
  });

  it('lowers a product the latest trip passed by, the more the likelier it had run out by then', () => {
    // eggs bought on day 20 (the latest trip, the latest purchase); now day 22: milk elapsed 8,
    // F(8) = Φ(ln(8 / 3.5) / 0.25 = 3.3067) = 0.999528.
    // Trip on day 20 (6 days after milk): F(6) = Φ(2.1560) = 0.984458:
    // 0.98 × (0.999528 - 0.984458) / (0.98 × 0.015542 + 0.02) = 0.014769 / 0.035231 = 0.419198 -> 0.419
    const eggs = regular('eggs', 2, 30, d(20, 0));
    expect(suggestFrom(history([milk, eggs], [0, 7, 14, 20]), new Set(['eggs']), d(22, 0))[0].score).toBe(0.419);
    // the latest purchase on day 17 instead (3 days after milk): F(3) = Φ(-0.6166) = 0.268748:
    // 0.98 × (0.999528 - 0.268748) / (0.98 × 0.731252 + 0.02) = 0.716164 / 0.736627 = 0.972221 -> 0.972
    const earlier = regular('eggs', 2, 30, d(17, 0));
    expect(suggestFrom(history([milk, earlier], [0, 7, 14, 17]), new Set(['eggs']), d(22, 0))[0].score).toBe(0.972);
    // the products on the list count for the latest trip too: without eggs, milk is the latest
    // purchase, F(0) = 0: 0.98 × 0.999528 = 0.979537 -> 0.98
    expect(suggestFrom(history([milk], [0, 7, 14, 20]), new Set(), d(22, 0))[0].score).toBe(0.98);
  });

  it('does not let a purchase dated after now count as negative time', () => {
    // latest one day after now: elapsed max(0, -1) = 0: score 0, "today"
    const future = regular('milk', 3, 7, d(18, 0));
    expect(suggestFrom(history([future], [18]), new Set(), d(17, 0))[0]).toMatchObject({
      score: 0,
      reason: 'Usually bought weekly; last bought today.',
    });
  });
});

describe('suggestFrom: products bought once (golden)', () => {
  it('scores 0.1 × elapsed / the history span, below a product likely to have run out', () => {
    // yogurt once on day 4; rice on days 0 and 10 (gap 10); shopping days 0, 4, 10; now day 16.
    // span = 16 - 0 = 16 days; yogurt: elapsed 12 -> 0.1 × 12 / 16 = 0.075.
    // rice: trip gap = median of [4, 6] = 5; lasts 10 - 2.5 = 7.5; bought on the latest trip;
    // z = ln(6 / 7.5) / 0.25 = -0.8926, Φ = 0.186043; 0.98 × 0.186043 = 0.182322 -> 0.182
    const yogurt = product({ key: 'yogurt', latest: d(4, 0) });
    const rice = regular('rice', 2, 10, d(10, 0));
    const result = suggestFrom(history([yogurt, rice], [0, 4, 10]), new Set(), d(16, 0));
    expect(result.map((s) => [s.key, s.score, s.intervalDays, s.frequencyLabel, s.reason])).toEqual([
      ['rice', 0.182, 10, 'every ~10 days', 'Usually bought every ~10 days; last bought 6 days ago.'],
      ['yogurt', 0.075, null, 'bought once', 'Bought once, 12 days ago.'],
    ]);
  });

  it('caps the share of the span at 1, and the span is at least one day', () => {
    // shopping day 5, now day 7: span 2; bought on day 2: 5 / 2 > 1 -> 0.1
    const old = product({ key: 'candles', latest: d(2, 0) });
    expect(suggestFrom(history([old], [5]), new Set(), d(7, 0))[0].score).toBe(0.1);
    // no shopping days: span max(1, 0) = 1 day; bought 12 h ago: 0.1 × 0.5 = 0.05
    const recent = product({ key: 'candles', latest: d(6, 12) });
    expect(suggestFrom(history([recent], []), new Set(), d(7, 0))[0]).toMatchObject({
      score: 0.05,
      reason: 'Bought once, today.',
    });
    // first shopping day 6 h before now: span max(1, 0.25) = 1 day, bought 6 h ago: 0.1 × 0.25 = 0.025
    expect(suggestFrom(history([product({ key: 'c', latest: d(7, 0) })], [7]), new Set(), d(7, 6))[0].score).toBe(
      0.025,
    );
  });
});

describe('suggestFrom: rounding, reasons, order and limit (golden)', () => {
  it('rounds the interval to a tenth and labels the rounded interval', () => {
    const third = regular('a', 4, 10 / 3, d(10, 0));
    // 8.46 rounds to 8.5, which is "every ~9 days" (8.46 itself would be "weekly")
    const eight = regular('b', 4, 8.46, d(10, 0));
    const result = suggestFrom(history([third, eight], [10]), new Set(), d(10, 0));
    expect(result.map((s) => [s.key, s.intervalDays, s.frequencyLabel])).toEqual([
      ['a', 3.3, 'every ~3 days'],
      ['b', 8.5, 'every ~9 days'],
    ]);
  });

  it.each([
    [0.99, 'today'],
    [1, 'yesterday'],
    [1.99, 'yesterday'],
    [2, '2 days ago'],
  ])('says when it was last bought: %p days -> %p', (elapsed, ago) => {
    const p = product({ key: 'p', latest: new Date(20 * DAY - elapsed * DAY) });
    expect(suggestFrom(history([p], [0]), new Set(), d(20, 0))[0].reason).toBe(`Bought once, ${ago}.`);
  });

  it('orders equal scores by purchases, then the latest purchase, then the key', () => {
    // shopping day 10, now day 12: span 2, horizon 0.
    // a, b: once on day 5, elapsed 7 > span -> 0.1; c: once on day 9, elapsed 3 > span -> 0.1;
    // x: bought twice, last now -> elapsed 0: 0; y: once, now -> 0.
    const now = d(12, 0);
    const products = [
      product({ key: 'y', latest: now }),
      regular('x', 2, 5, now),
      product({ key: 'b', latest: d(5, 0) }),
      product({ key: 'a', latest: d(5, 0) }),
      product({ key: 'c', latest: d(9, 0) }),
    ];
    const result = suggestFrom(history(products, [10]), new Set(), now);
    expect(result.map((s) => [s.key, s.score])).toEqual([
      ['c', 0.1],
      ['a', 0.1],
      ['b', 0.1],
      ['x', 0],
      ['y', 0],
    ]);
  });

  it('returns at most `limit` suggestions (20 by default), none for a limit below 1', () => {
    const many = Array.from({ length: 21 }, (_, i) => product({ key: `p${String(i).padStart(2, '0')}`, latest: d(1) }));
    const h = history(many, [1]);
    expect(suggestFrom(h, new Set(), d(5))).toHaveLength(20);
    expect(suggestFrom(h, new Set(), d(5), 3).map((s) => s.key)).toEqual(['p00', 'p01', 'p02']);
    expect(suggestFrom(h, new Set(), d(5), 0)).toEqual([]);
    expect(suggestFrom(h, new Set(), d(5), -1)).toEqual([]);
  });

  it('suggest = suggestFrom(summarize(...)), with the list compared by product identity', () => {
    // milk on days 0, 7, 14, eggs on day 3: shopping days 0, 3, 7, 14 -> trip gaps [3, 4, 7], trip gap 4;
    // milk lasts 7 - 2 = 5, bought on the latest trip; on day 19: Φ(ln(5 / 5) / 0.25) = 0.5 -> 0.49.
    // Eggs on the list as "EGGS ": not suggested.
    const purchases = [0, 7, 14].map((day) => purchase('milk', d(day, 0))).concat([purchase('eggs', d(3, 0))]);
    expect(suggest(purchases, new Set(['EGGS ']), d(19, 0)).map((s) => [s.key, s.score])).toEqual([['milk', 0.49]]);
    expect(suggest(purchases, new Set(), d(19, 0)).map((s) => [s.key, s.score])).toEqual([
      ['milk', 0.49],
      // eggs once on day 3: 0.1 × 16 / 19 = 0.084211
      ['eggs', 0.084],
    ]);
  });
});

describe('frequencyLabel boundaries', () => {
  it.each([
    [-3, 'daily'],
    [0, 'daily'],
    [1.49, 'daily'],
    [1.5, 'every 2 days'],
    [2.49, 'every 2 days'],
    [2.5, 'every ~3 days'],
    [5.49, 'every ~5 days'],
    [5.5, 'weekly'],
    [8.49, 'weekly'],
    [8.5, 'every ~9 days'],
    [12.49, 'every ~12 days'],
    [12.5, 'every 2 weeks'],
    [17.49, 'every 2 weeks'],
    [17.5, 'every ~3 weeks'],
    [24.49, 'every ~3 weeks'],
    [24.5, 'monthly'],
    [37.99, 'monthly'],
    [38, 'every ~6 weeks'],
    [51.99, 'every ~6 weeks'],
    [52, 'every 2 months'],
    [74.99, 'every 2 months'],
    // 75 / 30.4 = 2.47 -> 2; 106.3 / 30.4 = 3.497 -> 3; 106.4 / 30.4 = 3.5 -> 4; 319.99 / 30.4 = 10.53 -> 11
    [75, 'every ~2 months'],
    [106.3, 'every ~3 months'],
    [106.4, 'every ~4 months'],
    [319.99, 'every ~11 months'],
    [320, 'about yearly'],
    [Number.NaN, 'bought once'],
    [Number.POSITIVE_INFINITY, 'bought once'],
  ])('labels %p days as %p', (days, label) => {
    expect(frequencyLabel(days)).toBe(label);
  });
});

describe('baselines (golden)', () => {
  // p: days 1, 3 (last day 3); q: days 2, 3 (last day 3, same instant); r: days 1, 2; s: day 5 only;
  // t: days 0, 1, 2 but on the list; unusable rows: no time, no key.
  const purchases = [
    purchase('s', d(5)),
    purchase('r', d(2)),
    purchase('r', d(1)),
    purchase('q', d(3)),
    purchase('q', d(3)),
    purchase('q', d(2)),
    purchase('p', d(3)),
    purchase('p', d(1)),
    purchase('t', d(0)),
    purchase('t', d(1)),
    purchase('T', d(2)),
    purchase('u', new Date(Number.NaN)),
    purchase(' ', d(9)),
  ];
  const onList = new Set(['T ']);

  it('most frequent: by distinct days, then the latest purchase, then the key', () => {
    // p, q: 2 days, last day 3 -> by key; r: 2 days, last day 2; s: 1 day
    expect(baselineMostFrequent(purchases, onList, 10)).toEqual(['p', 'q', 'r', 's']);
    expect(baselineMostFrequent(purchases, onList, 2)).toEqual(['p', 'q']);
    expect(baselineMostFrequent(purchases, onList, -1)).toEqual([]);
  });

  it('counts purchase days, not purchases: two on one day are one', () => {
    // p on days 1 and 2; q twice on day 3 (10:00 and 18:00): p has 2 days, q 1 (though later)
    const twice = [purchase('q', d(3, 10)), purchase('q', d(3, 18)), purchase('p', d(1)), purchase('p', d(2))];
    expect(baselineMostFrequent(twice, new Set(), 5)).toEqual(['p', 'q']);
  });

  it('most recent: by the latest purchase, then distinct days, then the key', () => {
    // s: day 5; p, q: day 3 with 2 days each -> by key; r: day 2
    expect(baselineMostRecent(purchases, onList, 10)).toEqual(['s', 'p', 'q', 'r']);
    expect(baselineMostRecent([...purchases, purchase('q', d(0))], onList, 10)).toEqual(['s', 'q', 'p', 'r']);
    expect(baselineMostRecent(purchases, onList, -1)).toEqual([]);
  });
});

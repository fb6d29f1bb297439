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
    longestGapDays: null,
    ...overrides,
  };
}

/** A product bought on `timesBought` days, `gap` days apart, the last time on day `last`. */
function regular(key: string, timesBought: number, gap: number, last: Date, longest = gap): ProductSummary {
  return product({ key, latest: last, timesBought, medianGapDays: gap, longestGapDays: longest });
}

function history(products: ProductSummary[], shoppingDays: number[]): HistorySummary {
  return { products, shoppingDays };
}

describe('summarize (golden)', () => {
  it('gives per product the distinct purchase days, the median and longest gap and the latest purchase', () => {
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
      // median of [3, 7] (even count) = (3 + 7) / 2 = 5; longest 7; latest = day 10 with its name and unit
      {
        key: 'milk',
        name: 'Milk (organic)',
        unit: 'pack',
        latest: d(10),
        timesBought: 3,
        medianGapDays: 5,
        longestGapDays: 7,
      },
      // gaps sorted [1, 7, 10]: median (odd count) 7, longest 10
      { key: 'eggs', name: 'eggs', unit: 'pcs', latest: d(20), timesBought: 4, medianGapDays: 7, longestGapDays: 10 },
      // one day: no gap at all
      {
        key: 'bread',
        name: 'bread',
        unit: 'pcs',
        latest: d(5),
        timesBought: 1,
        medianGapDays: null,
        longestGapDays: null,
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
    expect(p).toMatchObject({ medianGapDays: 5, longestGapDays: 9, timesBought: 5 });
  });
});

describe('suggestFrom: due scores (golden)', () => {
  // milk bought 3 times, weekly, last on day 14; the list's shopping days 0, 7, 14.
  const milk = regular('milk', 3, 7, d(14, 0));
  const weekly = history([milk], [0, 7, 14]);

  it('scores (elapsed + usual gap between trips) / interval × n / (n + 1)', () => {
    // now = day 17: elapsed 3; trip gaps [7, 7] -> horizon 7; due = (3 + 7) / 7 = 1.428571;
    // lapse after max(2, 1.25 × 7 / 7) = 2 intervals, 3 / 7 < 2: no lapse; support 3 / 4;
    // score = 1.428571 × 0.75 = 1.071429 -> 1.071
    expect(suggestFrom(weekly, new Set(), d(17, 0))).toEqual([
      {
        key: 'milk',
        name: 'milk',
        unit: 'pcs',
        timesBought: 3,
        lastBoughtAt: d(14, 0),
        intervalDays: 7,
        score: 1.071,
        reason: 'Usually bought weekly; last bought 3 days ago.',
        frequencyLabel: 'weekly',
      },
    ]);
  });

  it('uses the given horizon instead, never a negative one', () => {
    // horizon 0: 3 / 7 × 3 / 4 = 9 / 28 = 0.321429; horizon 14: (3 + 14) / 7 × 0.75 = 51 / 28 = 1.821429
    expect(suggestFrom(weekly, new Set(), d(17, 0), 20, { horizonDays: 0 })[0].score).toBe(0.321);
    expect(suggestFrom(weekly, new Set(), d(17, 0), 20, { horizonDays: -5 })[0].score).toBe(0.321);
    expect(suggestFrom(weekly, new Set(), d(17, 0), 20, { horizonDays: 14 })[0].score).toBe(1.821);
  });

  it('takes the horizon as the median gap between shopping days, 0 with a single shopping day', () => {
    // shopping days 0, 4, 14: gaps [4, 10] -> median 7, as above: 1.071
    expect(suggestFrom(history([milk], [0, 4, 14]), new Set(), d(17, 0))[0].score).toBe(1.071);
    // shopping days 0, 1, 2, 14: gaps [1, 1, 12] -> median 1:
    // (3 + 1) / 7 × 0.75 = 0.428571
    expect(suggestFrom(history([milk], [0, 1, 2, 14]), new Set(), d(17, 0))[0].score).toBe(0.429);
    // one shopping day: no gap, horizon 0 -> 0.321
    expect(suggestFrom(history([milk], [14]), new Set(), d(17, 0))[0].score).toBe(0.321);
  });

  it('lets a product lapse after twice its interval: e⁻¹ every half interval beyond', () => {
    // now = day 35: elapsed 21 = 3 intervals, 1 beyond the 2 allowed: lapse e^(-1 / 0.5) = 0.135335;
    // due = (21 + 7) / 7 = 4; score = 4 × 0.135335 × 0.75 = 0.406006
    expect(suggestFrom(weekly, new Set(), d(35, 0))[0]).toMatchObject({
      score: 0.406,
      reason: 'Usually bought weekly; last bought 21 days ago.',
    });
    // exactly 2 intervals (day 28): no lapse yet: (14 + 7) / 7 × 0.75 = 2.25
    expect(suggestFrom(weekly, new Set(), d(28, 0))[0].score).toBe(2.25);
    // half a day later: overdue 0.5 / 7 = 0.071429, lapse e^(-0.142857) = 0.866878;
    // (14.5 + 7) / 7 × 0.866878 × 0.75 = 1.996902
    expect(suggestFrom(weekly, new Set(), d(28, 12))[0].score).toBe(1.997);
  });

  it('lets an irregular product lapse only after 1.25 × its longest gap', () => {
    // median 2, longest 12, bought 4 times, last day 16; shopping days 0, 2, 4, 16 -> trip gaps [2, 2, 12], horizon 2.
    // now = day 26: elapsed 10 = 5 intervals; lapse after max(2, 1.25 × 12 / 2 = 7.5): none.
    // due = (10 + 2) / 2 = 6; support 4 / 5; score 4.8
    const irregular = regular('flour', 4, 2, d(16, 0), 12);
    expect(suggestFrom(history([irregular], [0, 2, 4, 16]), new Set(), d(26, 0))[0].score).toBe(4.8);
    // longest 3: 1.25 × 3 / 2 = 1.875 < 2, so 2 intervals: overdue 5 - 2 = 3, lapse e^-6 = 0.00247875;
    // 6 × 0.00247875 × 0.8 = 0.011898
    const steady = regular('flour', 4, 2, d(16, 0), 3);
    expect(suggestFrom(history([steady], [0, 2, 4, 16]), new Set(), d(26, 0))[0].score).toBe(0.012);
    // no longest gap known: the median stands in (1.25 × 2 / 2 < 2), the same 0.012
    const unknown = product({ key: 'flour', latest: d(16, 0), timesBought: 4, medianGapDays: 2 });
    expect(suggestFrom(history([unknown], [0, 2, 4, 16]), new Set(), d(26, 0))[0].score).toBe(0.012);
  });

  it('does not let a purchase dated after now count as negative time', () => {
    // latest one day after now: elapsed max(0, -1) = 0; horizon 0 -> due 0, score 0, "today"
    const future = regular('milk', 3, 7, d(18, 0));
    expect(suggestFrom(history([future], [18]), new Set(), d(17, 0))[0]).toMatchObject({
      score: 0,
      reason: 'Usually bought weekly; last bought today.',
    });
  });
});

describe('suggestFrom: products bought once (golden)', () => {
  it('scores 0.5 × elapsed / the history span, below a due product', () => {
    // yogurt once on day 4; rice on days 0 and 10 (gap 10); shopping days 0, 4, 10; now day 12.
    // span = 12 - 0 = 12 days; yogurt: elapsed 8 -> 0.5 × 8 / 12 = 0.333333.
    // rice: horizon = median of trip gaps [4, 6] = 5; due = (2 + 5) / 10 = 0.7; support 2 / 3 -> 0.466667
    const yogurt = product({ key: 'yogurt', latest: d(4, 0) });
    const rice = regular('rice', 2, 10, d(10, 0));
    const result = suggestFrom(history([yogurt, rice], [0, 4, 10]), new Set(), d(12, 0));
    expect(result.map((s) => [s.key, s.score, s.intervalDays, s.frequencyLabel, s.reason])).toEqual([
      ['rice', 0.467, 10, 'every ~10 days', 'Usually bought every ~10 days; last bought 2 days ago.'],
      ['yogurt', 0.333, null, 'bought once', 'Bought once, 8 days ago.'],
    ]);
  });

  it('caps the share of the span at 1, and the span is at least one day', () => {
    // shopping day 5, now day 7: span 2; bought on day 2: 5 / 2 > 1 -> 0.5
    const old = product({ key: 'candles', latest: d(2, 0) });
    expect(suggestFrom(history([old], [5]), new Set(), d(7, 0))[0].score).toBe(0.5);
    // no shopping days: span max(1, 0) = 1 day; bought 12 h ago: 0.5 × 0.5 = 0.25
    const recent = product({ key: 'candles', latest: d(6, 12) });
    expect(suggestFrom(history([recent], []), new Set(), d(7, 0))[0]).toMatchObject({
      score: 0.25,
      reason: 'Bought once, today.',
    });
    // first shopping day 6 h before now: span max(1, 0.25) = 1 day, bought 6 h ago: 0.5 × 0.25 = 0.125
    expect(suggestFrom(history([product({ key: 'c', latest: d(7, 0) })], [7]), new Set(), d(7, 6))[0].score).toBe(
      0.125,
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
    // a, b: once on day 5, elapsed 7 > span -> 0.5; c: once on day 9, elapsed 3 > span -> 0.5;
    // x: bought twice, last now -> due 0 / 5 = 0; y: once, now -> 0.
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
      ['c', 0.5],
      ['a', 0.5],
      ['b', 0.5],
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
    // milk on days 0, 7, 14, eggs on day 3: shopping days 0, 3, 7, 14 -> trip gaps [3, 4, 7], horizon 4;
    // milk on day 17: (3 + 4) / 7 × 3 / 4 = 0.75. Eggs on the list as "EGGS ": not suggested.
    const purchases = [0, 7, 14].map((day) => purchase('milk', d(day, 0))).concat([purchase('eggs', d(3, 0))]);
    expect(suggest(purchases, new Set(['EGGS ']), d(17, 0)).map((s) => [s.key, s.score])).toEqual([['milk', 0.75]]);
    expect(suggest(purchases, new Set(), d(17, 0)).map((s) => [s.key, s.score])).toEqual([
      ['milk', 0.75],
      // eggs once on day 3: 0.5 × 14 / 17 = 0.411765
      ['eggs', 0.412],
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

import {
  baselineMostFrequent,
  baselineMostRecent,
  frequencyLabel,
  HistorySummary,
  normalCdf,
  Purchase,
  runOutProbability,
  suggest,
  suggestFrom,
} from './repurchase';

const DAY = 86_400_000;
const start = Date.UTC(2026, 0, 1, 10);

/** Purchases of one product on the given day numbers (10:00 UTC). */
function bought(key: string, days: number[], unit = 'pcs'): Purchase[] {
  return days.map((day) => ({ key, name: key, unit, at: new Date(start + day * DAY), tripId: `t${day}` }));
}

function at(day: number): Date {
  return new Date(start + day * DAY);
}

describe('frequencyLabel', () => {
  it.each([
    [1, 'daily'],
    [2, 'every 2 days'],
    [4, 'every ~4 days'],
    [7, 'weekly'],
    [10, 'every ~10 days'],
    [14, 'every 2 weeks'],
    [21, 'every ~3 weeks'],
    [30, 'monthly'],
    [42, 'every ~6 weeks'],
    [61, 'every 2 months'],
    [120, 'every ~4 months'],
    [365, 'about yearly'],
  ])('labels an interval of %p days as %p', (days, label) => {
    expect(frequencyLabel(days)).toBe(label);
  });

  it('says "bought once" without an interval', () => {
    expect(frequencyLabel(null)).toBe('bought once');
  });
});

describe('suggest', () => {
  it('labels from the real interval, not from the time since the last purchase', () => {
    // Bought monthly, last time two days ago: the old server called this "weekly".
    const [coffee] = suggest(bought('coffee', [0, 30, 60, 90]), new Set(), at(92));
    expect(coffee.intervalDays).toBe(30);
    expect(coffee.frequencyLabel).toBe('monthly');
    expect(coffee.reason).toBe('Usually bought monthly; last bought 2 days ago.');
  });

  it('ranks a due product above one that is not due yet, whatever their frequency', () => {
    const purchases = [
      ...bought(
        'bread',
        Array.from({ length: 32 }, (_, i) => i * 2),
      ), // trips every 2 days, the latest on day 62
      ...bought('milk', [0, 7, 14, 21, 28, 35, 42, 49, 56, 63]), // weekly, bought yesterday
      ...bought('flour', [0, 32]), // every 32 days, last bought 32 days ago: running out
    ];
    // The trip gap is 2 days (the median gap between shopping days). flour: lasts 32 - 2 / 2 =
    // 31 days; the trip on day 63 (31 days after) passed it by: Φ(0) = 0.5 ran out by then,
    // Φ(ln(32 / 31) / 0.25) = Φ(0.1270) = 0.55053 by now:
    // 0.98 × (0.55053 - 0.5) / (0.98 × 0.5 + 0.02) = 0.097. milk (day 63): Φ(ln(1 / 6) / 0.25) ≈ 0.
    // bread (every 2 days, last on day 62) is due too: lasts 2 - 1 = 1 day, passed by at 1 day
    // (Φ(0) = 0.5), 2 days: Φ(ln 2 / 0.25) = 0.99722: 0.98 × 0.49722 / (0.98 × 0.5 + 0.02) = 0.955.
    const ranked = suggest(purchases, new Set(), at(64));
    expect(ranked.map((s) => [s.key, s.score])).toEqual([
      ['bread', 0.955],
      ['flour', 0.097],
      ['milk', 0],
    ]);
    expect(baselineMostFrequent(purchases, new Set(['bread']), 1)).toEqual(['milk']);
  });

  it('uses the median interval, so one long gap does not make a regular product look rare', () => {
    const [milk] = suggest(bought('milk', [0, 7, 14, 21, 49, 56]), new Set(), at(60));
    expect(milk.intervalDays).toBe(7);
    expect(milk.frequencyLabel).toBe('weekly');
  });

  it('excludes products already on the list, compared by product identity', () => {
    const purchases = [...bought('Milk', [0, 7, 14]), ...bought('eggs', [0, 7, 14])];
    expect(suggest(purchases, new Set(['milk ']), at(21)).map((s) => s.key)).toEqual(['eggs']);
  });

  it('counts purchases on the same day once', () => {
    const later = (day: number): Purchase => ({
      key: 'bread',
      name: 'bread',
      unit: 'pcs',
      at: new Date(start + day * DAY + 3 * 3_600_000),
      tripId: `second${day}`,
    });
    const [bread] = suggest([...bought('bread', [0, 7, 14]), later(7), later(14)], new Set(), at(20));
    expect(bread.timesBought).toBe(3);
    expect(bread.intervalDays).toBe(7);
  });

  it('ranks products bought once below due ones, with a null interval', () => {
    const purchases = [...bought('candles', [0]), ...bought('rice', [10, 24, 38])];
    const ranked = suggest(purchases, new Set(), at(52));
    expect(ranked.map((s) => s.key)).toEqual(['rice', 'candles']);
    expect(ranked[1]).toMatchObject({ intervalDays: null, timesBought: 1, frequencyLabel: 'bought once' });
    expect(ranked[1].reason).toBe('Bought once, 52 days ago.');
  });

  it('lets a product not bought for many intervals (dropped) sink below a due one', () => {
    const purchases = [
      ...bought('yoghurt', [0, 3, 6, 9, 12]), // every 3 days, then never again
      ...bought('tea', [10, 24, 38, 52]), // every 2 weeks, due now
    ];
    expect(suggest(purchases, new Set(), at(66)).map((s) => s.key)).toEqual(['tea', 'yoghurt']);
  });

  it('reports the most recent name and unit, the last purchase and the limit', () => {
    const purchases = [
      ...bought('milk', [0, 7]),
      { key: 'milk', name: 'Milk', unit: 'l', at: new Date(start + 14 * DAY), tripId: 't14' },
      ...bought('eggs', [0, 5, 10]),
    ];
    const ranked = suggest(purchases, new Set(), at(15), 1);
    expect(ranked).toHaveLength(1);
    const [milk] = suggest(purchases, new Set(['eggs']), at(15));
    expect(milk).toMatchObject({ name: 'Milk', unit: 'l', timesBought: 3, lastBoughtAt: new Date(start + 14 * DAY) });
  });
});

/** A summary of one product bought `timesBought` times `gap` days apart, the last time on `last`. */
function summary(products: [key: string, gap: number | null, last: number][], shoppingDays: number[]): HistorySummary {
  return {
    products: products.map(([key, gap, last]) => ({
      key,
      name: key,
      unit: 'pcs',
      latest: at(last),
      timesBought: gap === null ? 1 : 3,
      medianGapDays: gap,
    })),
    shoppingDays: shoppingDays.map((day) => Math.floor(start / DAY) + day),
  };
}

describe('normalCdf', () => {
  it('is 0.5 at 0, symmetric, and Φ(1.96) = 0.975', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 8);
    expect(normalCdf(1.96)).toBeCloseTo(0.975, 5);
    expect(normalCdf(-1.96)).toBeCloseTo(0.025, 5);
    expect(normalCdf(1) + normalCdf(-1)).toBeCloseTo(1, 12);
    expect(normalCdf(9)).toBe(1);
    expect(normalCdf(-9)).toBe(0);
  });
});

/**
 * Worked examples of the model at the top of repurchase.ts: the product lasts T days,
 * ln T ~ N(ln(gap - tripGap / 2), 0.25²); score = 0.98 · (F(elapsed) - F(atLastTrip)) /
 * (0.98 · (1 - F(atLastTrip)) + 0.02), F(x) = Φ(ln(x / lasts) / 0.25). Φ values from a table.
 */
describe('runOutProbability (worked examples)', () => {
  it('bought on the latest trip: 0.98 × P(T ≤ elapsed)', () => {
    // weekly, trips every 3 days: lasts 7 - 1.5 = 5.5; ln(7 / 5.5) / 0.25 = 0.96466, Φ = 0.83264
    expect(runOutProbability(7, 0, 7, 3)).toBeCloseTo(0.98 * 0.832639, 5); // 0.815986
    // elapsed = lasts: Φ(0) = 0.5 → 0.49
    expect(runOutProbability(5.5, 0, 7, 3)).toBeCloseTo(0.49, 6);
    // 3 days: ln(3 / 5.5) / 0.25 = -2.4245, Φ = 0.00766 → 0.0075
    expect(runOutProbability(3, 0, 7, 3)).toBeCloseTo(0.007511, 5);
    // no trip gap (one shopping day): lasts the whole gap, 7 days: Φ(0) → 0.49
    expect(runOutProbability(7, 0, 7, 0)).toBeCloseTo(0.49, 6);
    // just bought: 0
    expect(runOutProbability(0, 0, 7, 3)).toBe(0);
  });

  it('a trip that passed it by after it may have run out lowers the score', () => {
    // weekly, trips every 3 days, the latest trip 5 days after its purchase:
    // F(5) = Φ(ln(5 / 5.5) / 0.25) = Φ(-0.3812) = 0.3515; F(7) = 0.8326;
    // 0.98 × (0.8326 - 0.3515) / (0.98 × 0.6485 + 0.02) = 0.4715 / 0.6555 = 0.7193
    expect(runOutProbability(7, 5, 7, 3)).toBeCloseTo(0.719286, 5);
    // every 5 days, trips every 5 days: lasts 2.5. Passed by at 4 days: F(4) = Φ(1.880) = 0.9699,
    // F(10) ≈ 1: 0.98 × 0.0301 / (0.98 × 0.0301 + 0.02) = 0.5956
    expect(runOutProbability(10, 4, 5, 5)).toBeCloseTo(0.595567, 4);
    // passed by two weeks after a weekly purchase: F(14) = Φ(3.737) = 0.99991 → dropped, 0.004
    expect(runOutProbability(16, 14, 7, 3)).toBeCloseTo(0.004064, 4);
  });

  it('a latest trip after now counts as now (never a negative run-out probability)', () => {
    expect(runOutProbability(7, 9, 7, 3)).toBe(0);
  });

  it('a product lasts at least half a day, whatever the trip gap', () => {
    // daily product, trips every 4 days: 1 - 2 = -1 → 0.5 day; 1 day later: Φ(ln 2 / 0.25) = Φ(2.773) = 0.99722
    expect(runOutProbability(1, 0, 1, 4)).toBeCloseTo(0.98 * 0.997219, 5);
    expect(runOutProbability(1, 0, 1, 2)).toBeCloseTo(0.98 * 0.997219, 5); // 1 - 1 = 0 → 0.5 too
    // 1 - 0.8 = 0.2 → 0.5, not 0.2 (which would give Φ(6.4) → 0.98)
    expect(runOutProbability(0.6, 0, 1, 1.6)).toBeCloseTo(0.98 * normalCdf(Math.log(1.2) / 0.25), 6);
  });
});

describe('suggestFrom (worked examples)', () => {
  it('takes the trip gap as the median gap between shopping days, the latest trip as the latest purchase', () => {
    // shopping days 0, 3, 6, 7 (gaps 3, 3, 1: median 3); milk weekly, last on day 0;
    // eggs bought on day 5 (the latest purchase): milk's latest trip was 5 days after its purchase.
    const history = summary(
      [
        ['milk', 7, 0],
        ['eggs', null, 5],
      ],
      [0, 3, 6, 7],
    );
    const [milk, eggs] = suggestFrom(history, new Set(), at(7));
    expect(milk).toMatchObject({ key: 'milk', score: 0.719 }); // runOutProbability(7, 5, 7, 3)
    // bought once: 0.1 × 2 days / (day 7 - day 0 of the history); the start is 10:00, the
    // shopping days are whole days: span = 7 + 10/24 days
    expect(eggs.score).toBe(Math.round(1000 * 0.1 * (2 / (7 + 10 / 24))) / 1000); // 0.027
  });

  it('uses the given trip gap instead, never a negative one', () => {
    const history = summary([['milk', 7, 0]], [0, 3, 6]);
    expect(suggestFrom(history, new Set(), at(7), 20, { tripGapDays: 0 })[0].score).toBe(0.98 * 0.5 - 0); // 0.49
    expect(suggestFrom(history, new Set(), at(7), 20, { tripGapDays: -4 })[0].score).toBe(0.49);
    expect(suggestFrom(history, new Set(), at(7), 20, { tripGapDays: 3 })[0].score).toBe(0.816);
  });

  it('a holiday (no trips since) does not make a product look dropped', () => {
    // weekly, bought on the latest trip 30 days ago: 0.98 × Φ(ln(30 / 5.5) / 0.25) = 0.98
    const history = summary(
      [['milk', 7, 0]],
      [0, 3, 6, 9].map((d) => d - 9),
    );
    expect(suggestFrom(history, new Set(), at(30))[0].score).toBe(0.98);
  });

  it('ranks a product bought once (at most 0.1) below one likely to have run out', () => {
    const history = summary(
      [
        ['candles', null, 0],
        ['milk', 7, 20],
      ],
      [0, 3, 6, 20],
    );
    // candles: 0.1 × 30 / (30 + 10/24) (the history starts at midnight of day 0, now is 10:00)
    // = 0.0986; milk: lasts 7 - 1.5, 10 days: 0.98 × Φ(ln(10 / 5.5) / 0.25 = 2.391) = 0.98 × 0.99160 = 0.972
    expect(suggestFrom(history, new Set(), at(30)).map((s) => [s.key, s.score])).toEqual([
      ['milk', 0.972],
      ['candles', 0.099],
    ]);
  });
});

describe('baselines', () => {
  const purchases = [...bought('milk', [0, 7, 14, 21]), ...bought('eggs', [0, 14]), ...bought('candles', [22])];

  it('most frequent: by purchase days, products on the list excluded', () => {
    expect(baselineMostFrequent(purchases, new Set(), 2)).toEqual(['milk', 'eggs']);
    expect(baselineMostFrequent(purchases, new Set(['milk']), 2)).toEqual(['eggs', 'candles']);
  });

  it('most recent: by last purchase, products on the list excluded', () => {
    expect(baselineMostRecent(purchases, new Set(), 2)).toEqual(['candles', 'milk']);
    expect(baselineMostRecent(purchases, new Set(['candles']), 1)).toEqual(['milk']);
  });
});

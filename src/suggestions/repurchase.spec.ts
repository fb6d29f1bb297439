import { baselineMostFrequent, baselineMostRecent, frequencyLabel, Purchase, suggest } from './repurchase';

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
      ), // trips every 2 days
      ...bought('milk', [0, 7, 14, 21, 28, 35, 42, 49, 56, 63]), // weekly, bought today
      ...bought('flour', [0, 30]), // monthly, last bought 33 days ago: due
    ];
    const keys = suggest(purchases, new Set(), at(63)).map((s) => s.key);
    expect(keys.indexOf('flour')).toBeLessThan(keys.indexOf('milk'));
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

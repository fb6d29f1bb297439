import {
  Check,
  DEFAULT_LEARNING_OPTIONS,
  learnFromSequences,
  learnTrip,
  shopperRoute,
  shopperSequences,
  tripRoute,
} from './walking-order';

/**
 * Issue 10, cause 2: quick checks are evidence. Goldens for the sequence stage
 * (`shopperRoute`/`tripRoute`) and for how its weights reach the pairs (`learnFromSequences`).
 */

/** One shopper's checks of `keys` at the given times, with display positions when given. */
function checks(keys: string[], times: number[], positions?: number[], shopper = 'u1'): Check[] {
  return keys.map((key, i) => ({ key, shopper, at: times[i], ...(positions ? { position: positions[i] } : {}) }));
}

const { bulkGapMs, tickOffPauseMs } = DEFAULT_LEARNING_OPTIONS;

describe('shopperRoute: quick checks keep their order and count in full', () => {
  it('keeps a queue flushed 5 ms apart in the order it arrived, with full weight', () => {
    const flush = checks(['milk', 'bread', 'eggs', 'tea'], [0, 5, 10, 15], [2, 0, 3, 1]);
    expect(shopperRoute(flush)).toEqual({ sequences: [['milk', 'bread', 'eggs', 'tea']], weights: new Map() });
  });

  it('keeps a flush without display positions (nothing to compare) in full', () => {
    const flush = checks(['milk', 'bread', 'eggs', 'tea'], [0, 5, 10, 15]);
    expect(shopperRoute(flush)).toEqual({ sequences: [['milk', 'bread', 'eggs', 'tea']], weights: new Map() });
  });

  it('keeps taps 150–300 ms apart off one shelf in full, after a walk', () => {
    const walked = checks(['apples', 'milk', 'bread', 'eggs'], [0, 30_000, 30_150, 30_450], [3, 1, 0, 2]);
    expect(shopperRoute(walked)).toEqual({ sequences: [['apples', 'milk', 'bread', 'eggs']], weights: new Map() });
  });

  it('orders ties in time by key and keeps a product at its first check', () => {
    const tied = checks(['milk', 'bread', 'milk'], [0, 0, 10]);
    expect(shopperRoute(tied)).toEqual({ sequences: [['bread', 'milk']], weights: new Map() });
  });
});

describe('shopperRoute: runs in the list display order count less', () => {
  it('weighs a run of 3 in display order coming 5 min after the walk 0.1 (ticked off at home)', () => {
    const walkThenHome = checks(
      ['apples', 'milk', 'bread', 'eggs', 'tea'],
      [0, 30_000, 30_000 + tickOffPauseMs!, 30_400 + tickOffPauseMs!, 30_800 + tickOffPauseMs!],
      [4, 3, 0, 1, 2],
    );
    expect(shopperRoute(walkThenHome)).toEqual({
      sequences: [['apples', 'milk', 'bread', 'eggs', 'tea']],
      weights: new Map([
        ['bread', 0.1],
        ['eggs', 0.1],
        ['tea', 0.1],
      ]),
    });
  });

  it('weighs the same run 0.5 when it comes 1 ms less than the pause after the walk (in doubt)', () => {
    const soon = checks(
      ['apples', 'bread', 'eggs', 'tea'],
      [0, tickOffPauseMs! - 1, tickOffPauseMs! + 399, tickOffPauseMs! + 799],
      [3, 0, 1, 2],
    );
    expect(shopperRoute(soon).weights).toEqual(
      new Map([
        ['bread', 0.5],
        ['eggs', 0.5],
        ['tea', 0.5],
      ]),
    );
  });

  it('recognises the list screen order too (newest first: positions descending)', () => {
    const walkThenHome = checks(
      ['apples', 'tea', 'eggs', 'bread'],
      [0, tickOffPauseMs!, tickOffPauseMs! + 300, tickOffPauseMs! + 600],
      [0, 3, 2, 1],
    );
    expect(shopperRoute(walkThenHome).weights).toEqual(
      new Map([
        ['tea', 0.1],
        ['eggs', 0.1],
        ['bread', 0.1],
      ]),
    );
  });

  it('weighs a whole trip ticked quickly in display order 0.5 (nothing before it: in doubt)', () => {
    const whole = checks(['milk', 'bread', 'eggs'], [0, 300, 600], [0, 1, 2]);
    expect(shopperRoute(whole)).toEqual({
      sequences: [['milk', 'bread', 'eggs']],
      weights: new Map([
        ['milk', 0.5],
        ['bread', 0.5],
        ['eggs', 0.5],
      ]),
    });
  });

  it('leaves a run of 2 in display order (one under bulkMinSize) in full', () => {
    const two = checks(['apples', 'bread', 'eggs'], [0, tickOffPauseMs!, tickOffPauseMs! + 300], [2, 0, 1]);
    expect(shopperRoute(two).weights).toEqual(new Map());
  });

  it('keeps checks exactly bulkGapMs apart in one run, and 1 ms more in two', () => {
    const atGap = checks(['milk', 'bread', 'eggs'], [0, bulkGapMs, 2 * bulkGapMs], [0, 1, 2]);
    expect(shopperRoute(atGap).weights.get('eggs')).toBe(0.5);
    const overGap = checks(['milk', 'bread', 'eggs'], [0, bulkGapMs, 2 * bulkGapMs + 1], [0, 1, 2]);
    expect(shopperRoute(overGap).weights).toEqual(new Map());
  });

  it('leaves a run out of display order in full: one step back, a tie, or a check without a position', () => {
    expect(shopperRoute(checks(['a', 'b', 'c', 'd'], [0, 5, 10, 15], [0, 1, 3, 2])).weights).toEqual(new Map());
    expect(shopperRoute(checks(['a', 'b', 'c'], [0, 5, 10], [0, 1, 1])).weights).toEqual(new Map());
    const partly: Check[] = [...checks(['a', 'b'], [0, 5], [0, 1]), { key: 'c', shopper: 'u1', at: 10 }];
    expect(shopperRoute(partly).weights).toEqual(new Map());
  });

  it("weighs only the display-order run, and each product by the smallest of its shoppers' weights", () => {
    const ana = checks(
      ['apples', 'milk', 'bread', 'eggs'],
      [0, tickOffPauseMs!, tickOffPauseMs! + 300, tickOffPauseMs! + 600],
      [5, 0, 1, 2],
      'ana',
    );
    const bob = checks(['milk', 'wine'], [0, 30_000], [0, 6], 'bob');
    expect(shopperRoute([...bob, ...ana])).toEqual({
      sequences: [
        ['apples', 'milk', 'bread', 'eggs'],
        ['milk', 'wine'],
      ],
      weights: new Map([
        ['milk', 0.1],
        ['bread', 0.1],
        ['eggs', 0.1],
      ]),
    });
  });

  it('takes the weights from the options', () => {
    const home = checks(['apples', 'a', 'b', 'c'], [0, 100_000, 100_500, 101_000], [9, 0, 1, 2]);
    const options = { ...DEFAULT_LEARNING_OPTIONS, tickOffPauseMs: 100_000, tickOffWeight: 0.2, bulkMinSize: 4 };
    expect(shopperRoute(home, options).weights).toEqual(new Map());
    expect(shopperRoute(home, { ...options, bulkMinSize: 3 }).weights).toEqual(
      new Map([
        ['a', 0.2],
        ['b', 0.2],
        ['c', 0.2],
      ]),
    );
    expect(
      shopperRoute(home, { ...options, bulkMinSize: 3, tickOffPauseMs: 100_001, displayOrderWeight: 0.3 }).weights,
    ).toEqual(
      new Map([
        ['a', 0.3],
        ['b', 0.3],
        ['c', 0.3],
      ]),
    );
  });

  it('shopperSequences is the sequences of shopperRoute', () => {
    const flush = checks(['milk', 'bread', 'eggs'], [0, 5, 10], [0, 1, 2]);
    expect(shopperSequences(flush)).toEqual([['milk', 'bread', 'eggs']]);
  });
});

describe('shopperRoute: boundaries seen by mutation testing', () => {
  // Phone times are epoch milliseconds: the pause is a difference of two large numbers.
  const at = Date.UTC(2026, 11, 3, 17, 0, 0);

  it('measures the pause after the walk as a difference of real phone times (1 min later: in doubt)', () => {
    const soon = checks(['apples', 'bread', 'eggs', 'tea'], [at, at + 60_000, at + 60_300, at + 60_600], [3, 0, 1, 2]);
    expect(shopperRoute(soon).weights).toEqual(
      new Map([
        ['bread', 0.5],
        ['eggs', 0.5],
        ['tea', 0.5],
      ]),
    );
  });

  it('gives the check after a tick-off run its own weight (full, out of display order)', () => {
    const times = [at, at + tickOffPauseMs!, at + tickOffPauseMs! + 300, at + tickOffPauseMs! + 600];
    const route = shopperRoute(
      checks(['apples', 'bread', 'eggs', 'tea', 'milk'], [...times, times[3] + 10_000], [4, 0, 1, 2, 3]),
    );
    expect(route.weights).toEqual(
      new Map([
        ['bread', 0.1],
        ['eggs', 0.1],
        ['tea', 0.1],
      ]),
    );
  });

  it('leaves a descending run with a tie in full (a tie is no display order either way)', () => {
    expect(shopperRoute(checks(['a', 'b', 'c'], [0, 5, 10], [2, 2, 1])).weights).toEqual(new Map());
  });

  it('skips checks without a finite time or with a blank name', () => {
    const odd: Check[] = [
      { key: 'milk', shopper: 'u1', at: 0 },
      { key: 'bread', shopper: 'u1', at: Number.NaN },
      { key: '   ', shopper: 'u1', at: 5 },
      { key: 'eggs', shopper: 'u1', at: 10 },
    ];
    expect(shopperRoute(odd)).toEqual({ sequences: [['milk', 'eggs']], weights: new Map() });
  });
});

describe('tripRoute', () => {
  it('uses the posted order only when no shopper checked two products, deduplicated by product', () => {
    const split: Check[] = [
      { key: 'Bread', shopper: 'u1', at: 0, position: 0 },
      { key: 'milk', shopper: 'u2', at: 5, position: 1 },
    ];
    expect(tripRoute(split, ['milk ', 'BREAD', 'milk', ''])).toEqual({
      sequences: [['milk', 'bread']],
      weights: new Map(),
    });
    expect(tripRoute(split, ['milk'])).toEqual({ sequences: [['bread'], ['milk']], weights: new Map() });
  });

  it('keeps the checks when one shopper of two checked exactly two products', () => {
    const split: Check[] = [
      { key: 'milk', shopper: 'u1', at: 0 },
      { key: 'bread', shopper: 'u1', at: 30_000 },
      { key: 'eggs', shopper: 'u2', at: 10_000 },
    ];
    expect(tripRoute(split, ['eggs', 'bread', 'milk'])).toEqual({
      sequences: [['milk', 'bread'], ['eggs']],
      weights: new Map(),
    });
  });

  it('keeps the checks (and their weights) over a posted order when they give a route', () => {
    const whole = checks(['milk', 'bread', 'eggs'], [0, 5, 10], [0, 1, 2]);
    expect(tripRoute(whole, ['eggs', 'bread', 'milk'])).toEqual(shopperRoute(whole));
  });
});

describe('learnFromSequences with product weights', () => {
  it('counts each pair with the smaller weight of its products (exact pairs)', () => {
    const weights = new Map([['tea', 0.1]]);
    expect(learnFromSequences([['bread', 'milk', 'tea']], [], DEFAULT_LEARNING_OPTIONS, 1, undefined, weights)).toEqual(
      [
        { a: 'bread', b: 'milk', ab: 1, ba: 0, trip: 1 },
        { a: 'bread', b: 'tea', ab: 0.1, ba: 0, trip: 1 },
        { a: 'milk', b: 'tea', ab: 0.1, ba: 0, trip: 1 },
      ],
    );
  });

  it('learns a walk with a tick-off at home: the walk in full, the tick-off at 0.1 (exact pairs)', () => {
    const trip = checks(['apples', 'milk', 'bread', 'eggs'], [0, 30_000, 3_600_000, 3_600_400], [3, 2, 0, 1]);
    // bread, eggs: a run of two, in full; the run must be 3 long to count less.
    expect(learnTrip({ checks: trip }, [])).toEqual([
      { a: 'apples', b: 'bread', ab: 1, ba: 0 },
      { a: 'apples', b: 'eggs', ab: 1, ba: 0 },
      { a: 'apples', b: 'milk', ab: 1, ba: 0 },
      { a: 'bread', b: 'eggs', ab: 1, ba: 0 },
      { a: 'bread', b: 'milk', ab: 0, ba: 1 },
      { a: 'eggs', b: 'milk', ab: 0, ba: 1 },
    ]);
    const withTea = [...trip, { key: 'tea', shopper: 'u1', at: 3_600_800, position: 4 }];
    expect(learnTrip({ checks: withTea }, [])).toEqual([
      { a: 'apples', b: 'bread', ab: 0.1, ba: 0 },
      { a: 'apples', b: 'eggs', ab: 0.1, ba: 0 },
      { a: 'apples', b: 'milk', ab: 1, ba: 0 },
      { a: 'apples', b: 'tea', ab: 0.1, ba: 0 },
      { a: 'bread', b: 'eggs', ab: 0.1, ba: 0 },
      { a: 'bread', b: 'milk', ab: 0, ba: 0.1 },
      { a: 'bread', b: 'tea', ab: 0.1, ba: 0 },
      { a: 'eggs', b: 'milk', ab: 0, ba: 0.1 },
      { a: 'eggs', b: 'tea', ab: 0.1, ba: 0 },
      { a: 'milk', b: 'tea', ab: 0.1, ba: 0 },
    ]);
  });

  it('does not let a tick-off at home overturn an order learned over three trips', () => {
    const walked = checks(['tea', 'eggs', 'bread'], [0, 30_000, 60_000]);
    let stored = learnTrip({ checks: walked, trip: 1 }, []);
    stored = learnTrip({ checks: walked, trip: 2 }, stored);
    stored = learnTrip({ checks: walked, trip: 3 }, stored);
    const home = checks(['apples', 'bread', 'eggs', 'tea'], [0, 600_000, 600_300, 600_600], [3, 0, 1, 2]);
    const after = learnTrip({ checks: home, trip: 4 }, stored);
    const pair = (a: string, b: string) => after.find((p) => p.a === a && p.b === b);
    // 1 + 0.75 + 0.5625 = 2.3125 of the learned direction, × 0.75, against 0.1.
    expect(pair('bread', 'eggs')).toEqual({ a: 'bread', b: 'eggs', ab: 0.1, ba: 1.734375, trip: 4 });
    expect(pair('eggs', 'tea')).toEqual({ a: 'eggs', b: 'tea', ab: 0.1, ba: 1.734375, trip: 4 });
  });
});

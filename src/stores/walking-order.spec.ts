import {
  applyObservation,
  baselineRank,
  baselineUpdate,
  Check,
  DEFAULT_LEARNING_OPTIONS,
  learnFromSequences,
  learnTrip,
  observePairs,
  PairWeight,
  rankWalkingOrder,
  shopperSequences,
  tripSequences,
} from './walking-order';

/** Checks of one shopper walking `keys` in order, `gapMs` apart. */
function walk(keys: string[], shopper = 'u1', start = 0, gapMs = 30_000): Check[] {
  return keys.map((key, i) => ({ key, shopper, at: start + i * gapMs }));
}

/** The store's pairs after folding in trips (each a list of sequences), as the server stores them. */
function learn(trips: string[][][], decay = DEFAULT_LEARNING_OPTIONS.decay): PairWeight[] {
  const stored = new Map<string, PairWeight>();
  for (const sequences of trips) {
    for (const observation of observePairs(sequences)) {
      const id = `${observation.a}|${observation.b}`;
      stored.set(id, { a: observation.a, b: observation.b, ...applyObservation(stored.get(id), observation, decay) });
    }
  }
  return [...stored.values()];
}

/** The same through learnTrip, with store trip numbers. */
function learnWithTrips(trips: Check[][], stored = new Map<string, PairWeight>(), firstTrip = 1) {
  trips.forEach((checks, i) => {
    const updated = learnTrip({ checks, trip: firstTrip + i }, [...stored.values()]);
    for (const pair of updated) stored.set(`${pair.a}|${pair.b}`, pair);
  });
  return stored;
}

function order(keys: string[], pairs: PairWeight[]): string[] {
  const ranked = rankWalkingOrder(keys, pairs);
  return [...ranked.keys()].sort((x, y) => ranked.get(x)!.position - ranked.get(y)!.position);
}

describe('shopperSequences', () => {
  it('keeps a burst ticked off at home after the walk (in display order), at a low weight', () => {
    // Issue 10: it used to be dropped; now quick checks are evidence (walking-order.sequences.spec.ts).
    const store = walk(['bread', 'milk', 'eggs']);
    const home = walk(['cheese', 'apples', 'tea', 'soap'], 'u1', 3_600_000, 400).map((check, i) => ({
      ...check,
      position: i,
    }));
    expect(shopperSequences([...store, ...home])).toEqual([
      ['bread', 'milk', 'eggs', 'cheese', 'apples', 'tea', 'soap'],
    ]);
  });

  it('keeps quick checks below the bulk size (two items from one shelf)', () => {
    const checks = [...walk(['bread', 'milk']), ...walk(['eggs', 'cheese'], 'u1', 120_000, 500)];
    expect(shopperSequences(checks)).toEqual([['bread', 'milk', 'eggs', 'cheese']]);
  });

  it('orders each shopper by time whatever the input order, and keys by product identity', () => {
    const checks: Check[] = [
      { key: 'Milk ', shopper: 'u1', at: 60_000 },
      { key: 'bread', shopper: 'u1', at: 0 },
      { key: 'milk', shopper: 'u1', at: 90_000 },
    ];
    expect(shopperSequences(checks)).toEqual([['bread', 'milk']]);
  });
});

describe('observePairs', () => {
  it('never compares the routes of two shoppers splitting the list', () => {
    // Both start at the entrance at the same time; u2 took the back of the store.
    const checks = [...walk(['bread', 'milk'], 'u1', 0), ...walk(['frozen', 'tea'], 'u2', 10_000)];
    const pairs = observePairs(shopperSequences(checks)).map((pair) => `${pair.a}<>${pair.b}`);
    expect(pairs.sort()).toEqual(['bread<>milk', 'frozen<>tea']);
  });

  it('counts one trip once per pair, even when the pair shows up in two sequences', () => {
    const pairs = observePairs([
      ['bread', 'milk'],
      ['bread', 'milk'],
    ]);
    expect(pairs).toEqual([{ a: 'bread', b: 'milk', ab: 1, ba: 0 }]);
  });

  it('splits the single vote when the two sequences disagree, and stores pairs canonically (a < b)', () => {
    const pairs = observePairs([
      ['milk', 'bread'],
      ['bread', 'milk'],
    ]);
    expect(pairs).toEqual([{ a: 'bread', b: 'milk', ab: 0.5, ba: 0.5 }]);
    expect(observePairs([['milk', 'bread']])).toEqual([{ a: 'bread', b: 'milk', ab: 0, ba: 1 }]);
  });
});

describe('tripSequences', () => {
  it('does not count the posted order on top of the checks of the same trip', () => {
    // The device posts everything it checked, including what was ticked at home afterwards.
    const checks = [
      ...walk(['bread', 'milk', 'eggs']),
      ...walk(['cheese', 'tea', 'soap'], 'u1', 3_600_000, 400).map((check, i) => ({ ...check, position: i })),
    ];
    // (Its order may differ from the server's record, e.g. a late sync; the checks decide.)
    const posted = ['milk', 'bread', 'eggs', 'cheese', 'tea', 'soap'];
    expect(tripSequences(checks, posted)).toEqual(tripSequences(checks, undefined));
    expect(learnTrip({ checks, postedOrder: posted }, [])).toEqual(learnTrip({ checks }, []));
    expect(learnTrip({ checks, postedOrder: posted }, [])).toHaveLength(15);
  });

  it('falls back to the posted order only when no shopper checked two products', () => {
    const split: Check[] = [
      { key: 'bread', shopper: 'u1', at: 0 },
      { key: 'milk', shopper: 'u2', at: 60_000 },
    ];
    expect(tripSequences(split, ['apples', 'Bread ', 'cheese', 'bread'])).toEqual([['apples', 'bread', 'cheese']]);
    // Quick checks are a route (issue 10: they used to be dropped, and the posted order used without them).
    const quick = walk(['bread', 'milk', 'eggs', 'tea'], 'u1', 0, 300);
    expect(tripSequences(quick, ['apples', 'bread', 'cheese'])).toEqual([['bread', 'milk', 'eggs', 'tea']]);
  });
});

describe('applyObservation', () => {
  it('multiplies the old evidence by the decay before adding', () => {
    expect(applyObservation({ ab: 2, ba: 1 }, { ab: 1, ba: 0 }, 0.5)).toEqual({ ab: 2, ba: 0.5 });
    expect(applyObservation(undefined, { ab: 0, ba: 1 }, 0.5)).toEqual({ ab: 0, ba: 1 });
  });

  it('ages evidence by the store trips that passed since the pair was last updated', () => {
    expect(applyObservation({ ab: 4, ba: 0 }, { ab: 0, ba: 1 }, 0.5, 3)).toEqual({ ab: 0.5, ba: 1 });
  });
});

describe('rankWalkingOrder', () => {
  it('gives 1-based positions only to the list products that have evidence', () => {
    const pairs = learn([[['bread', 'milk', 'eggs']]]);
    const ranked = rankWalkingOrder(['eggs', 'Milk', 'bread', 'candles'], pairs);
    expect([...ranked.keys()].sort()).toEqual(['Milk', 'bread', 'eggs']);
    expect(ranked.get('bread')!.position).toBe(1);
    expect(ranked.get('Milk')!.position).toBe(2);
    expect(ranked.get('eggs')!.position).toBe(3);
    expect(ranked.has('candles')).toBe(false);
  });

  it('ignores evidence against products that are not on the list', () => {
    const pairs = learn([[['bread', 'milk', 'eggs']]]);
    const ranked = rankWalkingOrder(['eggs', 'candles'], pairs);
    expect(ranked.size).toBe(0);
  });

  it('combines trips that each saw part of the store (transitively)', () => {
    const pairs = learn([[['bread', 'milk']], [['milk', 'eggs']], [['eggs', 'tea']]]);
    expect(order(['tea', 'eggs', 'milk', 'bread'], pairs)).toEqual(['bread', 'milk', 'eggs', 'tea']);
  });

  it('breaks ties deterministically, whatever the input order', () => {
    const pairs = learn([[['milk', 'bread']], [['bread', 'milk']]], 1);
    expect(order(['milk', 'bread'], pairs)).toEqual(['bread', 'milk']);
    expect(order(['bread', 'milk'], [...pairs].reverse())).toEqual(['bread', 'milk']);
  });

  it('gives a confidence in [0, 1] that grows with consistent evidence', () => {
    const once = rankWalkingOrder(['bread', 'milk'], learn([[['bread', 'milk']]]));
    const often = rankWalkingOrder(['bread', 'milk'], learn(Array.from({ length: 6 }, () => [['bread', 'milk']])));
    const mixed = rankWalkingOrder(['bread', 'milk'], learn([[['bread', 'milk']], [['milk', 'bread']]], 1));
    for (const ranked of [once, often, mixed]) {
      for (const { confidence } of ranked.values()) {
        expect(confidence).toBeGreaterThanOrEqual(0);
        expect(confidence).toBeLessThanOrEqual(1);
      }
    }
    expect(often.get('bread')!.confidence).toBeGreaterThan(once.get('bread')!.confidence);
    expect(mixed.get('bread')!.confidence).toBe(0);
  });
});

describe('learning over trips', () => {
  const route = ['bread', 'milk', 'eggs', 'cheese', 'pasta', 'tea', 'frozen'];

  it('barely moves a learned order after one odd trip (walked backwards)', () => {
    const stored = learnWithTrips(Array.from({ length: 8 }, () => walk(route)));
    learnWithTrips([walk([...route].reverse())], stored, 9);
    expect(order(route, [...stored.values()])).toEqual(route);
  });

  it('keeps the order after one odd trip with the plain per-pair update too', () => {
    const pairs = learn([...Array.from({ length: 8 }, () => [route]), [[...route].reverse()]]);
    expect(order(route, pairs)).toEqual(route);
  });

  it('relearns a rearranged store within a few trips', () => {
    // The frozen aisle moved from the back to the front.
    const moved = ['frozen', ...route.slice(0, -1)];
    const stored = learnWithTrips(Array.from({ length: 12 }, () => walk(route)));
    learnWithTrips(
      Array.from({ length: 4 }, () => walk(moved)),
      stored,
      13,
    );
    expect(order(route, [...stored.values()])).toEqual(moved);
  });

  it('ages pairs by store trips: evidence not seen for a while gives way sooner', () => {
    const old = { a: 'bread', b: 'milk', ab: 3, ba: 0, trip: 1 };
    const [recent] = learnFromSequences([['milk', 'bread']], [{ ...old, trip: 9 }], DEFAULT_LEARNING_OPTIONS, 10);
    const [stale] = learnFromSequences([['milk', 'bread']], [old], DEFAULT_LEARNING_OPTIONS, 10);
    expect(recent.ab).toBeCloseTo(3 * DEFAULT_LEARNING_OPTIONS.decay);
    expect(stale.ab).toBeCloseTo(3 * DEFAULT_LEARNING_OPTIONS.decay ** 9);
    expect(stale.trip).toBe(10);
  });

  it('counts a product walked far out of its learned place (forgotten, checked at the end) with less weight', () => {
    const stored = learnWithTrips(Array.from({ length: 5 }, () => walk(route)));
    const forgotten = ['milk', 'eggs', 'cheese', 'pasta', 'tea', 'frozen', 'bread'];
    const updated = learnTrip({ checks: walk(forgotten), trip: 6 }, [...stored.values()]);
    const breadPair = updated.find((pair) => pair.a === 'bread' && pair.b === 'milk')!;
    const otherPair = updated.find((pair) => pair.a === 'eggs' && pair.b === 'milk')!;
    const previous = stored.get('bread|milk')!;
    expect(breadPair.ba - previous.ba * DEFAULT_LEARNING_OPTIONS.decay).toBeCloseTo(
      DEFAULT_LEARNING_OPTIONS.outlierWeight!,
    );
    expect(
      otherPair.ab + otherPair.ba - (stored.get('eggs|milk')!.ab + stored.get('eggs|milk')!.ba) * 0.75,
    ).toBeCloseTo(1);
  });
});

describe('baseline (old running mean of absolute positions)', () => {
  it('keeps a running mean of 1-based positions and ranks by it', () => {
    const state = new Map<string, { mean: number; count: number }>();
    baselineUpdate(state, ['bread', 'milk', 'eggs']);
    baselineUpdate(state, ['milk', 'Eggs']);
    expect(state.get('milk')).toEqual({ mean: 1.5, count: 2 });
    expect(state.get('eggs')).toEqual({ mean: 2.5, count: 2 });
    const ranked = baselineRank(['eggs', 'milk', 'bread', 'tea'], state);
    expect([...ranked.entries()].sort((x, y) => x[1] - y[1])).toEqual([
      ['bread', 1],
      ['milk', 2],
      ['eggs', 3],
    ]);
  });

  describe('learnFromSequences with covered products (a posted order learned at once)', () => {
    it('should skip exactly the pairs with both ends covered, and age the others per store trip', () => {
      const stored = [{ a: 'eggs', b: 'wine', ab: 1, ba: 0, trip: 2 }];
      const next = learnFromSequences(
        [['milk', 'bread', 'eggs', 'wine']],
        stored,
        DEFAULT_LEARNING_OPTIONS,
        3,
        new Set(['milk', 'bread', 'eggs']),
      );
      expect(next).toEqual([
        { a: 'bread', b: 'wine', ab: 1, ba: 0, trip: 3 },
        { a: 'eggs', b: 'wine', ab: 1.75, ba: 0, trip: 3 },
        { a: 'milk', b: 'wine', ab: 1, ba: 0, trip: 3 },
      ]);
    });

    it('should learn nothing when every pair is covered', () => {
      expect(
        learnFromSequences([['milk', 'bread']], [], DEFAULT_LEARNING_OPTIONS, 1, new Set(['bread', 'milk'])),
      ).toEqual([]);
    });
  });
});

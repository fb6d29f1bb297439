import fc from 'fast-check';
import { productKey } from '../common/product-key';
import {
  DEFAULT_RANK_OPTIONS,
  learnFromSequences,
  MAX_LEARNED_PRODUCTS,
  PairWeight,
  rankingEvidence,
  RankOptions,
  rankWalkingOrder,
} from './walking-order';

const name = (i: number) => `product ${String(i).padStart(5, '0')}`;

/** Every pair among `keys` (in this order = walking order), one-sided, seen in store trip `trip`. */
function walkedPairs(keys: string[], trip = 1, weight = 1): PairWeight[] {
  const pairs: PairWeight[] = [];
  for (let i = 0; i < keys.length; i++) {
    for (let j = i + 1; j < keys.length; j++) {
      const forward = keys[i] < keys[j];
      const [a, b] = forward ? [keys[i], keys[j]] : [keys[j], keys[i]];
      pairs.push({ a, b, ab: forward ? weight : 0, ba: forward ? 0 : weight, trip });
    }
  }
  return pairs;
}

describe('rankWalkingOrder: work bounded by what was learned', () => {
  it('ranks 20,000 items with no learned pairs without any n×n work, placing none', () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => name(i));

    const evidence = rankingEvidence(keys, []);

    expect([evidence.products.length, evidence.before.length, evidence.neighbours.length]).toEqual([0, 0, 0]);
    expect(rankWalkingOrder(keys, [])).toEqual(new Map());
  });

  it('sizes the ranking by the products with evidence, not by the list: 20,000 items, 10 learned', () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => name(i));
    const learned = keys.slice(500, 510).reverse();

    const evidence = rankingEvidence(keys, walkedPairs(learned));
    const ranked = rankWalkingOrder(keys, walkedPairs(learned));

    expect(evidence.products).toEqual([...learned].sort());
    expect(evidence.before.length).toBe(10 * 10);
    expect([...ranked.keys()].sort((x, y) => ranked.get(x)!.position - ranked.get(y)!.position)).toEqual(learned);
  });

  it('ranks at most maxProducts products, those seen in the most recent trips', () => {
    const old = Array.from({ length: 80 }, (_, i) => name(i));
    const recent = Array.from({ length: 80 }, (_, i) => name(100 + i));
    const pairs = [...walkedPairs(old, 3), ...walkedPairs(recent, 7), ...walkedPairs([name(0), name(100)], 5)];

    const evidence = rankingEvidence([...old, ...recent], pairs, 100);

    // The 80 of trip 7, then those of trip 5 (name(0)), then trip 3 by key.
    expect(evidence.products).toEqual([...old.slice(0, 20), ...recent].sort());
    expect(evidence.before.length).toBe(100 * 100);
    const ranked = rankWalkingOrder([...old, ...recent], pairs);
    expect(ranked.size).toBe(MAX_LEARNED_PRODUCTS);
    expect(ranked.get(name(99))).toBeUndefined();
  });

  it('learns at most maxProducts products of one trip: the first ones walked', () => {
    const walked = Array.from({ length: 2000 }, (_, i) => name(i));

    const learned = learnFromSequences([walked], []);

    expect(learned).toHaveLength((MAX_LEARNED_PRODUCTS * (MAX_LEARNED_PRODUCTS - 1)) / 2);
    const products = new Set(learned.flatMap((pair) => [pair.a, pair.b]));
    expect([...products].sort()).toEqual(walked.slice(0, MAX_LEARNED_PRODUCTS));
  });

  it('gives exactly the order and confidences of the unbounded ranking while within maxProducts', () => {
    const product = fc.constantFrom(...Array.from({ length: 12 }, (_, i) => `p${i}`), 'Milk', 'milk ', '');
    const weight = fc.oneof(fc.double({ min: 0, max: 5, noNaN: true }), fc.constantFrom(0, NaN, Infinity, -1));
    const pair = fc
      .record({ x: product, y: product, ab: weight, ba: weight, trip: fc.option(fc.nat(20), { nil: undefined }) })
      .map(({ x, y, ab, ba, trip }) => {
        const [a, b] = [productKey(x), productKey(y)].sort();
        return { a, b, ab, ba, ...(trip === undefined ? {} : { trip }) };
      });
    fc.assert(
      fc.property(fc.array(product, { maxLength: 16 }), fc.array(pair, { maxLength: 60 }), (keys, pairs) => {
        expect(rankWalkingOrder(keys, pairs)).toEqual(unboundedRank(keys, pairs));
      }),
      { numRuns: 500 },
    );
  });
});

// ---------------------------------------------------------------------------------------
// The ranking as it was before its work was bounded (dense over every product of the list),
// kept here as the reference the bounded one must agree with.

interface Evidence {
  n: number;
  before: Float64Array;
  offsets: Int32Array;
  neighbours: Int32Array;
}

function evidenceOf(unique: string[], pairs: PairWeight[]): Evidence {
  const n = unique.length;
  const index = new Map(unique.map((key, i) => [key, i] as const));
  const before = new Float64Array(n * n);
  for (const pair of pairs) {
    const i = index.get(pair.a);
    const j = index.get(pair.b);
    if (i === undefined || j === undefined || i === j) continue;
    if (Number.isFinite(pair.ab) && pair.ab > 0) before[i * n + j] += pair.ab;
    if (Number.isFinite(pair.ba) && pair.ba > 0) before[j * n + i] += pair.ba;
  }
  const offsets = new Int32Array(n + 1);
  const list: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (j !== i && before[i * n + j] + before[j * n + i] > 1e-12) list.push(j);
    }
    offsets[i + 1] = list.length;
  }
  return { n, before, offsets, neighbours: Int32Array.from(list) };
}

/**
 * Walking positions for the products on a list. `keys` may be product keys or item names
 * (they are compared through `productKey`); the result is keyed by the strings given, with
 * 1-based positions among the products that have any evidence against another product of
 * the list, and a confidence in [0, 1] (how much evidence, and how consistent it is with the
 * position). Products without evidence are absent. Ties are broken by key.
 */
function unboundedRank(
  keys: string[],
  pairs: PairWeight[],
  options: RankOptions = DEFAULT_RANK_OPTIONS,
): Map<string, { position: number; confidence: number }> {
  const unique = [...new Set(keys.map(productKey))].filter((key) => key !== '').sort(compareStrings);
  const evidence = evidenceOf(unique, pairs);
  const nodes = unique.map((_, i) => i).filter((i) => evidence.offsets[i + 1] > evidence.offsets[i]);
  const result = new Map<string, { position: number; confidence: number }>();
  if (nodes.length === 0) return result;

  const strength = bradleyTerry(nodes, evidence, options);
  const order = [...nodes].sort((x, y) => strength[y] - strength[x] || compareStrings(unique[x], unique[y]));
  polishByInsertion(order, evidence, options.polishPasses);

  const rank = new Int32Array(unique.length);
  order.forEach((node, position) => (rank[node] = position));
  const byKey = new Map<string, { position: number; confidence: number }>();
  for (const node of order) {
    byKey.set(unique[node], { position: rank[node] + 1, confidence: confidence(node, evidence, rank) });
  }
  for (const key of keys) {
    const entry = byKey.get(productKey(key));
    if (entry) result.set(key, { ...entry });
  }
  return result;
}

/**
 * Bradley–Terry strengths by the MM algorithm (Hunter 2004): "winning" = walked earlier.
 * Every product also plays `anchorPrior` wins and losses against a virtual product of
 * strength 1, which makes the maximum-likelihood estimate exist and ties disconnected parts.
 */
function bradleyTerry(nodes: number[], evidence: Evidence, options: RankOptions): Float64Array {
  const { n, before, offsets, neighbours } = evidence;
  const strength = new Float64Array(n).fill(1);
  const wins = new Float64Array(n);
  // games[k]: the evidence (plus priors) between node i and neighbours[k]
  const games = new Float64Array(neighbours.length);
  for (const i of nodes) {
    let total = options.anchorPrior;
    for (let k = offsets[i]; k < offsets[i + 1]; k++) {
      const j = neighbours[k];
      total += before[i * n + j] + options.pairPrior;
      games[k] = before[i * n + j] + before[j * n + i] + 2 * options.pairPrior;
    }
    wins[i] = total;
  }
  const next = new Float64Array(n);
  for (let iteration = 0; iteration < options.iterations; iteration++) {
    for (const i of nodes) {
      let denominator = (2 * options.anchorPrior) / (strength[i] + 1);
      for (let k = offsets[i]; k < offsets[i + 1]; k++)
        denominator += games[k] / (strength[i] + strength[neighbours[k]]);
      next[i] = wins[i] / denominator;
    }
    let change = 0;
    for (const i of nodes) {
      change = Math.max(change, Math.abs(Math.log(next[i] / strength[i])));
      strength[i] = next[i];
    }
    if (change < options.tolerance) break;
  }
  return strength;
}

/**
 * Local Kemeny improvement: move single products to the place where the direct pairwise
 * evidence agrees best (each move strictly lowers the weighted disagreement), a few passes.
 */
function polishByInsertion(order: number[], evidence: Evidence, maxPasses: number): void {
  const { n, before } = evidence;
  for (let pass = 0; pass < maxPasses; pass++) {
    let moved = false;
    for (let i = 0; i < order.length; i++) {
      const node = order[i];
      let best = 1e-9;
      let target = i;
      let gain = 0;
      for (let j = i - 1; j >= 0; j--) {
        gain += before[node * n + order[j]] - before[order[j] * n + node];
        if (gain > best) {
          best = gain;
          target = j;
        }
      }
      gain = 0;
      for (let j = i + 1; j < order.length; j++) {
        gain += before[order[j] * n + node] - before[node * n + order[j]];
        if (gain > best) {
          best = gain;
          target = j;
        }
      }
      if (target !== i) {
        order.splice(i, 1);
        order.splice(target, 0, node);
        moved = true;
      }
    }
    if (!moved) break;
  }
}

/**
 * Confidence of one product's position: the share of its evidence that agrees with the
 * final order, rescaled so a coin flip is 0, times a saturating amount of evidence per
 * neighbour (one trip ≈ 0.4, a well-learned pair ≈ 0.85).
 */
function confidence(node: number, evidence: Evidence, rank: Int32Array): number {
  const { n, before, offsets, neighbours } = evidence;
  let agree = 0;
  let total = 0;
  const count = offsets[node + 1] - offsets[node];
  for (let k = offsets[node]; k < offsets[node + 1]; k++) {
    const other = neighbours[k];
    const mine = before[node * n + other];
    const theirs = before[other * n + node];
    agree += rank[node] < rank[other] ? mine : theirs;
    total += mine + theirs;
  }
  if (total <= 0 || count === 0) return 0;
  const consistency = Math.max(0, (2 * agree) / total - 1);
  const support = 1 - Math.exp(-total / count / 2);
  return Math.round(consistency * support * 1000) / 1000;
}

function compareStrings(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

import { productKey } from '../common/product-key';

/**
 * Learning a store's walking order from what shoppers actually do.
 *
 * Evidence is pairwise: in one trip, a product checked before another by the same shopper
 * is a vote that it lies earlier on the walk (two partners splitting the list are never
 * compared with each other; a trip is one vote per pair). Quick checks are evidence: a queue
 * flushed in one burst keeps the order it was made in, and taps off one shelf count in
 * full; a run of checks in the list's display order counts less (`shopperRoute`: a tick-off
 * at home after the walk 0.1, any other such run 0.5), so it cannot overturn a learned order. Each store keeps, per unordered pair of products, the decayed votes for both
 * directions (`PairWeight`). A completed trip updates only the pairs it observed (work
 * proportional to the trip's pairs); older evidence is multiplied by `decay` first, so a
 * rearranged store is relearned within a few trips. `learnTrip` adds what makes one odd
 * trip barely matter: products walked far out of their learned place, or a whole route
 * against it, count with a reduced weight; and evidence ages per store trip.
 *
 * The order for a list is ranked from the pairs among its products with Bradley–Terry (so
 * incomplete comparisons, each trip seeing part of the store, combine transitively), then
 * polished by local Kemeny moves that the direct evidence prefers.
 *
 * Product identity is `productKey`. Pure functions only: no I/O, no clock.
 * Measured by `npm run bench:learning` (docs/BENCHMARKS.md).
 */

/** One checked item of a trip: product key, the user who checked it, epoch ms of the check. */
export interface Check {
  key: string;
  shopper: string;
  at: number;
  /**
   * Optional: where the item stands in the list as the app displays it (the server's list
   * order, by creation: the shopping screen shows it so until the store is learned, the list
   * screen newest first). Lets a tick-off in display order be recognised (`shopperRoute`).
   */
  position?: number;
}

/** One trip's evidence for one pair; canonical `a < b`; `ab` = evidence that a was walked before b. */
export interface PairObservation {
  a: string;
  b: string;
  ab: number;
  ba: number;
}

/** A store's accumulated (decayed) evidence for one pair; canonical `a < b`. */
export interface PairWeight {
  a: string;
  b: string;
  ab: number;
  ba: number;
  /** Optional: the store's trip number when this pair was last updated (see `learnTrip`). */
  trip?: number;
}

/**
 * How many products a store's walking order is learned and ranked for (the most recently
 * walked ones): the ranking is quadratic in them, so this bounds every request's work. A
 * household's usual products in one store fit well within it; `STORE_LEARNED_PRODUCTS`
 * configures the server's value.
 */
export const MAX_LEARNED_PRODUCTS = 100;

export interface LearningOptions {
  /** Checks closer together than this (ms) belong to one run (see `shopperRoute`). */
  bulkGapMs: number;
  /** A run of at least this many checks in the list's display order looks like a tick-off and counts less. */
  bulkMinSize: number;
  /** `shopperRoute`: a display-order run this long (ms) after the shopper's previous check is a tick-off after the walk (default 5 min). */
  tickOffPauseMs?: number;
  /** `shopperRoute`: weight of a tick-off after the walk (default 0.1). */
  tickOffWeight?: number;
  /** `shopperRoute`: weight of any other run in display order (default 0.5): in doubt, kept lower, not dropped. */
  displayOrderWeight?: number;
  /** Old evidence for a pair is multiplied by this (per store trip, see `learnTrip`) before new evidence is added. */
  decay: number;
  /** `learnTrip`: weight of the pairs of a product walked far out of its learned place (default 0.5). */
  outlierWeight?: number;
  /** `learnTrip`: share of a product's learned pairs the trip must contradict to be an outlier (default 0.5). */
  outlierThreshold?: number;
  /** `learnTrip`: at most this share of a sequence's products are outliers (default 0.2). */
  outlierMaxShare?: number;
  /** `learnTrip`: weight of a whole sequence that mostly contradicts the learned order, e.g. walked backwards (default 0.25). */
  oddSequenceWeight?: number;
  /**
   * `learnFromSequences`: at most this many products of one trip are learned (the first ones
   * walked, shopper by shopper), so a trip's work and pairs stay bounded; default
   * {@link MAX_LEARNED_PRODUCTS}.
   */
  maxProducts?: number;
}

/**
 * Tuned with `npm run bench:learning`. decay 0.75: with evidence ageing per store trip
 * (`learnTrip` with trip numbers), a trip from five trips ago weighs about a quarter of
 * today's, so a rearranged aisle is relearned within a few trips, while the outlier and
 * odd-sequence weights keep one odd trip from moving much. The same value also holds the
 * targets when pairs age per update (`observePairs` + `applyObservation` alone), with less margin.
 */
export const DEFAULT_LEARNING_OPTIONS: Readonly<LearningOptions> = Object.freeze({
  bulkGapMs: 2000,
  bulkMinSize: 3,
  tickOffPauseMs: 300_000,
  tickOffWeight: 0.1,
  displayOrderWeight: 0.5,
  decay: 0.75,
  outlierWeight: 0.5,
  outlierThreshold: 0.5,
  outlierMaxShare: 0.2,
  oddSequenceWeight: 0.25,
  maxProducts: MAX_LEARNED_PRODUCTS,
});

/** The canonical (a < b) orientation of a pair, by plain string comparison. */
export function canonicalPair(x: string, y: string): { a: string; b: string; swapped: boolean } {
  return x < y ? { a: x, b: y, swapped: false } : { a: y, b: x, swapped: true };
}

/**
 * One trip's route as learning takes it: per-shopper sequences (see `shopperSequences`) and
 * the weight of each product's evidence in this trip (absent = 1; see `shopperRoute`). A pair
 * counts with the smaller weight of its two products.
 */
export interface TripRoute {
  sequences: string[][];
  weights: Map<string, number>;
}

/**
 * Per-shopper walking sequences from one trip's checks: each shopper's checks ordered by time
 * (ties by key), a product kept at its first check by that shopper; shoppers sorted by id,
 * empty sequences dropped. Nothing is thrown away: quick checks (a queue flushed 5 ms apart,
 * taps off one shelf 150–300 ms apart) keep their order and count in full; see `shopperRoute`
 * for the runs that count less.
 */
export function shopperSequences(checks: Check[], options: LearningOptions = DEFAULT_LEARNING_OPTIONS): string[][] {
  return shopperRoute(checks, options).sequences;
}

/**
 * `shopperSequences` with the weight of each product's evidence. Each shopper's checks fall
 * into runs (each check within `bulkGapMs` of the previous one). A run of at least
 * `bulkMinSize` checks that follows the list's display order (every check has a `position`
 * and they strictly ascend, as the app's shopping screen shows the list, or strictly descend,
 * as its list screen does, newest first) looks like a tick-off rather than a walk:
 * - `tickOffWeight` when it also comes after the rest of the walk (the shopper checked
 *   something before, at least `tickOffPauseMs` earlier): ticked off at home afterwards;
 * - `displayOrderWeight` otherwise (the whole trip, or mid-walk): in doubt, kept at a lower
 *   weight, never dropped.
 * Every other run counts in full, however quick. A product's weight is the smallest over the
 * shoppers who checked it.
 */
export function shopperRoute(checks: Check[], options: LearningOptions = DEFAULT_LEARNING_OPTIONS): TripRoute {
  const byShopper = new Map<string, Check[]>();
  for (const check of checks) {
    if (!Number.isFinite(check.at)) continue;
    const key = productKey(check.key);
    if (key === '') continue;
    const list = byShopper.get(check.shopper) ?? [];
    list.push({ key, shopper: check.shopper, at: check.at, position: check.position });
    byShopper.set(check.shopper, list);
  }
  const sequences: string[][] = [];
  const weights = new Map<string, number>();
  for (const shopper of [...byShopper.keys()].sort()) {
    const sorted = byShopper.get(shopper)!.sort((x, y) => x.at - y.at || compareStrings(x.key, y.key));
    const runWeights = weighRuns(sorted, options);
    const seen = new Set<string>();
    const sequence: string[] = [];
    sorted.forEach((check, i) => {
      if (seen.has(check.key)) return;
      seen.add(check.key);
      sequence.push(check.key);
      const weight = runWeights[i];
      if (weight < (weights.get(check.key) ?? 1)) weights.set(check.key, weight);
    });
    if (sequence.length > 0) sequences.push(sequence);
  }
  return { sequences, weights };
}

/** The weight of each of one shopper's time-ordered checks (see `shopperRoute`). */
function weighRuns(sorted: Check[], options: LearningOptions): number[] {
  const weights: number[] = sorted.map(() => 1);
  const tickOff = options.tickOffWeight ?? 0.1;
  const doubt = options.displayOrderWeight ?? 0.5;
  const pause = options.tickOffPauseMs ?? 300_000;
  let start = 0;
  for (let i = 1; i <= sorted.length; i++) {
    const runEnds = i === sorted.length || sorted[i].at - sorted[i - 1].at > options.bulkGapMs;
    if (!runEnds) continue;
    if (i - start >= options.bulkMinSize && followsDisplayOrder(sorted, start, i)) {
      const afterWalk = start > 0 && sorted[start].at - sorted[start - 1].at >= pause;
      for (let k = start; k < i; k++) weights[k] = afterWalk ? tickOff : doubt;
    }
    start = i;
  }
  return weights;
}

/** Whether checks [from, to) all have a display position and strictly ascend or strictly descend in it. */
function followsDisplayOrder(sorted: Check[], from: number, to: number): boolean {
  let ascending = true;
  let descending = true;
  for (let k = from; k < to; k++) {
    if (!finite(sorted[k].position)) return false;
    if (k === from) continue;
    const step = sorted[k].position! - sorted[k - 1].position!;
    if (!(step > 0)) ascending = false;
    if (!(step < 0)) descending = false;
  }
  return ascending || descending;
}

/**
 * The sequences of one trip, accepting the order the app posted for it without counting the
 * trip twice: the server's checks (with who and when) are authoritative; the posted order is
 * used only when the checks give no order at all (no shopper checked two products).
 */
export function tripSequences(
  checks: Check[],
  postedOrder: string[] | undefined,
  options: LearningOptions = DEFAULT_LEARNING_OPTIONS,
): string[][] {
  return tripRoute(checks, postedOrder, options).sequences;
}

/**
 * `tripSequences` with the weights of `shopperRoute`; the posted order, when it stands in
 * for the checks, carries the weights the checks gave its products.
 */
export function tripRoute(
  checks: Check[],
  postedOrder: string[] | undefined,
  options: LearningOptions = DEFAULT_LEARNING_OPTIONS,
): TripRoute {
  const route = shopperRoute(checks, options);
  if (route.sequences.some((sequence) => sequence.length >= 2) || !postedOrder) return route;
  const posted = [...new Set(postedOrder.map(productKey))].filter((key) => key !== '');
  return posted.length >= 2 ? { sequences: [posted], weights: route.weights } : route;
}

/**
 * The pairwise evidence of one trip: every ordered pair within each shopper's own sequence
 * (never across two shoppers splitting the list), each unordered pair normalised so that
 * `ab + ba === 1` — one trip is one vote per pair. Sorted by (a, b).
 */
export function observePairs(sequences: string[][]): PairObservation[] {
  const counts = new Map<string, PairObservation>();
  for (const sequence of sequences) {
    for (let i = 0; i < sequence.length; i++) {
      for (let j = i + 1; j < sequence.length; j++) {
        const first = sequence[i];
        const second = sequence[j];
        if (first === second) continue;
        const { a, b, swapped } = canonicalPair(first, second);
        const id = pairId(a, b);
        let entry = counts.get(id);
        if (!entry) {
          entry = { a, b, ab: 0, ba: 0 };
          counts.set(id, entry);
        }
        if (swapped) entry.ba += 1;
        else entry.ab += 1;
      }
    }
  }
  const observations: PairObservation[] = [];
  for (const entry of counts.values()) {
    const total = entry.ab + entry.ba;
    observations.push({ a: entry.a, b: entry.b, ab: entry.ab / total, ba: entry.ba / total });
  }
  return observations.sort((x, y) => compareStrings(x.a, y.a) || compareStrings(x.b, y.b));
}

/**
 * One stored pair after one trip's observation: old evidence × `decay`, plus the new.
 * `elapsedTrips` (optional, default 1): how many trips of the store passed since the pair
 * was last updated; the old evidence is then multiplied by `decay ** elapsedTrips`, so
 * evidence ages with the store's trips rather than with the pair's own observations.
 */
export function applyObservation(
  stored: { ab: number; ba: number } | undefined,
  observed: { ab: number; ba: number },
  decay: number,
  elapsedTrips = 1,
): { ab: number; ba: number } {
  const keep = Math.pow(Math.min(1, Math.max(0, decay)), Math.max(0, elapsedTrips));
  return {
    ab: (stored ? stored.ab * keep : 0) + observed.ab,
    ba: (stored ? stored.ba * keep : 0) + observed.ba,
  };
}

/** One completed trip, as `learnTrip` takes it. */
export interface TripEvidence {
  /** Who checked which product when (the server's record of the trip). */
  checks: Check[];
  /** The order the app posted for this trip (`POST …/order`), if any; never counted twice. */
  postedOrder?: string[];
  /**
   * The store's trip number of this trip (e.g. `tripCount` after it). When given, evidence
   * ages per store trip: a pair last updated k trips ago keeps `decay ** k` of its weight.
   * Without it (or for pairs stored without `trip`), a pair ages by one step per update.
   */
  trip?: number;
}

/**
 * Everything learning does at trip completion, in one call: the trip's sequences (per
 * shopper, bulk ticks removed, the posted order only as a fallback), its pairwise evidence
 * (one vote per pair), products walked far out of their learned place in this trip counted
 * with `outlierWeight` (an odd trip barely moves the order; an aisle that really moved keeps
 * showing up and takes over within a few trips), then the decayed update.
 *
 * `stored` holds the store's pairs among the trip's products (others are ignored); the
 * result holds the updated pairs for every pair the trip observed, to be written back.
 * Work is proportional to the trip's pairs.
 */
export function learnTrip(
  trip: TripEvidence,
  stored: PairWeight[],
  options: LearningOptions = DEFAULT_LEARNING_OPTIONS,
): PairWeight[] {
  const route = tripRoute(trip.checks, trip.postedOrder, options);
  return learnFromSequences(route.sequences, stored, options, trip.trip, undefined, route.weights);
}

/**
 * The products `learnTrip` learns from this trip (those of its sequences, at most
 * `maxProducts`, the first ones walked): the store's pairs among them are what it needs.
 */
export function tripProducts(trip: TripEvidence, options: LearningOptions = DEFAULT_LEARNING_OPTIONS): string[] {
  const sequences = firstProducts(
    tripSequences(trip.checks, trip.postedOrder, options),
    options.maxProducts ?? MAX_LEARNED_PRODUCTS,
  );
  return [...new Set(sequences.flat())];
}

/**
 * `learnTrip` for a caller that builds the trip's sequences itself (e.g. with its own rule
 * for the posted order): outlier weighting against `stored`, one vote per pair, decayed
 * update. `stored`: the store's pairs among the sequences' products; `trip`: the store's trip
 * number of this trip (see `TripEvidence.trip`). `covered` (optional): products whose pairs
 * among each other this trip's evidence already holds (an order posted for it and learned at
 * once): pairs with both ends in it are not learned again, so one trip is never counted twice.
 * `weights` (optional): the weight of each product's evidence in this trip (`TripRoute.weights`,
 * absent = 1); a pair counts with the smallest of its products' weights and outlier weights.
 * Returns the updated pairs to write back.
 */
export function learnFromSequences(
  sequences: string[][],
  stored: PairWeight[],
  options: LearningOptions = DEFAULT_LEARNING_OPTIONS,
  trip?: number,
  covered?: ReadonlySet<string>,
  weights?: ReadonlyMap<string, number>,
): PairWeight[] {
  sequences = firstProducts(sequences, options.maxProducts ?? MAX_LEARNED_PRODUCTS);
  const storedById = new Map<string, PairWeight>();
  for (const pair of stored) storedById.set(pairId(pair.a, pair.b), pair);
  const outliers = outlierWeights(sequences, storedById, options);
  const weightOfProduct = (key: string) => Math.min(outliers.get(key) ?? 1, weights?.get(key) ?? 1);
  const updated: PairWeight[] = [];
  for (const observation of observePairs(sequences)) {
    if (covered?.has(observation.a) && covered.has(observation.b)) continue;
    const previous = storedById.get(pairId(observation.a, observation.b));
    const weight = Math.min(weightOfProduct(observation.a), weightOfProduct(observation.b));
    const elapsed = trip !== undefined && previous?.trip !== undefined ? Math.max(0, trip - previous.trip) : 1;
    const next = applyObservation(
      previous,
      { ab: observation.ab * weight, ba: observation.ba * weight },
      options.decay,
      elapsed,
    );
    const pair: PairWeight = { a: observation.a, b: observation.b, ab: next.ab, ba: next.ba };
    if (trip !== undefined) pair.trip = trip;
    updated.push(pair);
  }
  return updated;
}

/**
 * The sequences restricted to their first `max` distinct products (in sequence order, shopper
 * by shopper): what one trip can teach is bounded, whatever the list held.
 */
function firstProducts(sequences: string[][], max: number): string[][] {
  const kept = new Set<string>();
  const result: string[][] = [];
  for (const sequence of sequences) {
    const within: string[] = [];
    for (const key of sequence) {
      if (!kept.has(key)) {
        if (kept.size >= max) continue;
        kept.add(key);
      }
      within.push(key);
    }
    if (within.length > 0) result.push(within);
  }
  return result;
}

function pairId(a: string, b: string): string {
  return `${a}\u0000${b}`;
}

/**
 * Products of each sequence walked far out of their learned place: for every product, the
 * share of its learned pairs (with the sequence's other products) that this trip
 * contradicts, weighted by how clear the learned evidence is. The worst product above
 * `outlierThreshold` is set aside and the shares recomputed without it, up to
 * `outlierMaxShare` of the sequence. O(n²) per sequence.
 */
function outlierWeights(
  sequences: string[][],
  stored: Map<string, PairWeight>,
  options: LearningOptions,
): Map<string, number> {
  const weight = options.outlierWeight ?? 0.5;
  const threshold = options.outlierThreshold ?? 0.5;
  const maxShare = options.outlierMaxShare ?? 0.2;
  const oddWeight = options.oddSequenceWeight ?? 0.25;
  const weights = new Map<string, number>();
  if (stored.size === 0) return weights;
  for (const sequence of sequences) {
    const n = sequence.length;
    if (n < 3) continue;
    // disagreement[i][j] in [0, 1]: how clearly the stored evidence contradicts i before/after j as walked.
    const disagreement: Float64Array[] = sequence.map(() => new Float64Array(n));
    const known: Uint8Array[] = sequence.map(() => new Uint8Array(n));
    const disagree = new Float64Array(n);
    const count = new Float64Array(n);
    let signedAgreement = 0;
    let knownPairs = 0;
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const { a, b, swapped } = canonicalPair(sequence[i], sequence[j]);
        const pair = stored.get(pairId(a, b));
        const total = pair ? pair.ab + pair.ba : 0;
        if (!pair || !(total >= 0.5)) continue;
        // share of stored evidence that sequence[i] comes before sequence[j], as walked now
        const agree = (swapped ? pair.ba : pair.ab) / total;
        const value = agree < 0.5 ? (0.5 - agree) * 2 : 0;
        signedAgreement += 2 * agree - 1;
        knownPairs++;
        disagreement[i][j] = disagreement[j][i] = value;
        known[i][j] = known[j][i] = 1;
        disagree[i] += value;
        disagree[j] += value;
        count[i]++;
        count[j]++;
      }
    }
    if (knownPairs >= n && signedAgreement < 0) {
      // Mostly against the learned order (another entrance, a one-off route): one soft vote.
      for (const key of sequence) weights.set(key, Math.min(weights.get(key) ?? 1, oddWeight));
      continue;
    }
    const removed = new Uint8Array(n);
    const rounds = Math.ceil(n * maxShare);
    for (let round = 0; round < rounds; round++) {
      let worst = -1;
      let worstShare = 0;
      for (let i = 0; i < n; i++) {
        if (removed[i] || count[i] < 2) continue;
        const share = disagree[i] / count[i];
        if (share > worstShare) {
          worstShare = share;
          worst = i;
        }
      }
      if (worst < 0 || worstShare < threshold) break;
      removed[worst] = 1;
      weights.set(sequence[worst], Math.min(weights.get(sequence[worst]) ?? 1, weight));
      for (let i = 0; i < n; i++) {
        if (!known[worst][i]) continue;
        disagree[i] -= disagreement[worst][i];
        count[i]--;
      }
    }
  }
  return weights;
}

// The ranking's loops call these through module bindings: a global lookup per call is slow
// where globals are intercepted (a vm context, as under jest), and costs nothing here.
const { abs, exp, log, max, round } = Math;
const finite = Number.isFinite;

/** Tuning of the ranking; the defaults are what the benchmark measures. */
export interface RankOptions {
  /** Pseudo-votes, each way, against a virtual average product: keeps scores finite and components comparable. */
  anchorPrior: number;
  /** Pseudo-votes added to each direction of every evidenced pair. */
  pairPrior: number;
  /** Bradley–Terry MM iterations (at most). */
  iterations: number;
  /** Stop the iterations once no strength changes by more than this factor (log scale). */
  tolerance: number;
  /** Passes of local Kemeny improvement after Bradley–Terry (0 = none). */
  polishPasses: number;
  /**
   * At most this many products are ranked: those with evidence seen in the most recent store
   * trips (`PairWeight.trip`; ties by key). Bounds the ranking's work whatever the list holds.
   * Default {@link MAX_LEARNED_PRODUCTS}.
   */
  maxProducts?: number;
}

export const DEFAULT_RANK_OPTIONS: Readonly<RankOptions> = Object.freeze({
  anchorPrior: 0.1,
  pairPrior: 0.1,
  iterations: 100,
  tolerance: 1e-6,
  polishPasses: 10,
  maxProducts: MAX_LEARNED_PRODUCTS,
});

/**
 * The ranking problem for one list: the products it ranks (`products`, sorted by key: those
 * of the list with evidence against another product of the list, at most `maxProducts`) and
 * their evidence, `before[i * n + j]` = evidence that product i is walked before product j
 * (dense over the ranked products only), plus the compressed rows of the pairs that have any
 * evidence. Built in time linear in the list and the pairs; the products of the list without
 * evidence cost nothing more.
 */
export interface RankingEvidence {
  products: string[];
  n: number;
  before: Float64Array;
  offsets: Int32Array;
  neighbours: Int32Array;
}

export function rankingEvidence(
  keys: string[],
  pairs: PairWeight[],
  maxProducts = MAX_LEARNED_PRODUCTS,
): RankingEvidence {
  const onList = new Set<string>();
  for (const key of keys) onList.add(productKey(key));
  onList.delete('');
  // Products of the list that appear in a pair with another one, with the latest trip that saw them.
  const latest = new Map<string, number>();
  const relevant: PairWeight[] = [];
  for (const pair of pairs) {
    if (pair.a === pair.b || !onList.has(pair.a) || !onList.has(pair.b)) continue;
    if (!(weightOf(pair.ab) + weightOf(pair.ba) > 0)) continue;
    relevant.push(pair);
    const trip = finite(pair.trip) ? pair.trip! : 0;
    if (!(latest.get(pair.a)! >= trip)) latest.set(pair.a, trip);
    if (!(latest.get(pair.b)! >= trip)) latest.set(pair.b, trip);
  }
  let products = [...latest.keys()];
  if (products.length > maxProducts) {
    products.sort((x, y) => latest.get(y)! - latest.get(x)! || compareStrings(x, y));
    products = products.slice(0, Math.max(0, maxProducts));
  }
  products.sort(compareStrings);
  const n = products.length;
  const index = new Map(products.map((key, i) => [key, i] as const));
  const before = new Float64Array(n * n);
  for (const pair of relevant) {
    const i = index.get(pair.a);
    const j = index.get(pair.b);
    if (i === undefined || j === undefined) continue;
    before[i * n + j] += weightOf(pair.ab);
    before[j * n + i] += weightOf(pair.ba);
  }
  const offsets = new Int32Array(n + 1);
  const list: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (j !== i && before[i * n + j] + before[j * n + i] > 1e-12) list.push(j);
    }
    offsets[i + 1] = list.length;
  }
  return { products, n, before, offsets, neighbours: Int32Array.from(list) };
}

/** A pair's evidence one way, as the ranking counts it: finite and positive, else nothing. */
function weightOf(value: number): number {
  return finite(value) && value > 0 ? value : 0;
}

/**
 * Walking positions for the products on a list. `keys` may be product keys or item names
 * (they are compared through `productKey`); the result is keyed by the strings given, with
 * 1-based positions among the products that have any evidence against another product of
 * the list, and a confidence in [0, 1] (how much evidence, and how consistent it is with the
 * position). Products without evidence are absent; the caller places them after the others.
 * Ties are broken by key. Work: linear in the list and the pairs, plus the ranking among at
 * most `options.maxProducts` products with evidence (see `rankingEvidence`).
 */
export function rankWalkingOrder(
  keys: string[],
  pairs: PairWeight[],
  options: RankOptions = DEFAULT_RANK_OPTIONS,
): Map<string, { position: number; confidence: number }> {
  const evidence = rankingEvidence(keys, pairs, options.maxProducts ?? MAX_LEARNED_PRODUCTS);
  const { products } = evidence;
  const nodes = products.map((_, i) => i).filter((i) => evidence.offsets[i + 1] > evidence.offsets[i]);
  const result = new Map<string, { position: number; confidence: number }>();
  if (nodes.length === 0) return result;

  const strength = bradleyTerry(nodes, evidence, options);
  const order = [...nodes].sort((x, y) => strength[y] - strength[x] || compareStrings(products[x], products[y]));
  polishByInsertion(order, evidence, options.polishPasses);

  const rank = new Int32Array(products.length);
  order.forEach((node, position) => (rank[node] = position));
  const byKey = new Map<string, { position: number; confidence: number }>();
  for (const node of order) {
    byKey.set(products[node], { position: rank[node] + 1, confidence: confidence(node, evidence, rank) });
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
function bradleyTerry(nodes: number[], evidence: RankingEvidence, options: RankOptions): Float64Array {
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
      change = max(change, abs(log(next[i] / strength[i])));
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
function polishByInsertion(order: number[], evidence: RankingEvidence, maxPasses: number): void {
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
function confidence(node: number, evidence: RankingEvidence, rank: Int32Array): number {
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
  const consistency = max(0, (2 * agree) / total - 1);
  const support = 1 - exp(-total / count / 2);
  return round(consistency * support * 1000) / 1000;
}

/**
 * The old Go server's estimator, kept as the benchmark baseline: a running mean of each
 * product's absolute 1-based position in the posted order, never forgetting.
 */
export function baselineUpdate(state: Map<string, { mean: number; count: number }>, order: string[]): void {
  order.forEach((name, i) => {
    const key = productKey(name);
    const current = state.get(key) ?? { mean: 0, count: 0 };
    const count = current.count + 1;
    state.set(key, { mean: current.mean + (i + 1 - current.mean) / count, count });
  });
}

/** The baseline's ranking: products with a mean, by mean ascending (ties by key), 1-based. */
export function baselineRank(keys: string[], state: Map<string, { mean: number; count: number }>): Map<string, number> {
  const unique = [...new Set(keys.map(productKey))].filter((key) => state.has(key));
  unique.sort((x, y) => state.get(x)!.mean - state.get(y)!.mean || compareStrings(x, y));
  const position = new Map(unique.map((key, i) => [key, i + 1] as const));
  const result = new Map<string, number>();
  for (const key of keys) {
    const value = position.get(productKey(key));
    if (value !== undefined) result.set(key, value);
  }
  return result;
}

function compareStrings(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

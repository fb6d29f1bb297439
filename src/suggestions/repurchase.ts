import { productKey } from '../common/product-key';

/**
 * Repurchase suggestions from a list's trip history. Pure functions: the caller passes the
 * purchases and the current time (from its injectable clock).
 *
 * For each product: the days it was bought (several purchases on one calendar day, UTC,
 * count once) and the median gap between those days. The score is the probability that the
 * product has run out by now and is still bought by the household:
 *
 * - A gap between two purchases is how long the product lasts plus the wait for the next
 *   shopping trip after it ran out, on average half the list's usual gap between shopping
 *   days. So the product lasts T days, log-normal with median `median gap - trip gap / 2`
 *   and spread `SPREAD` (σ of ln T).
 * - The list's trips since the product's last purchase did not buy it: had it run out before
 *   the latest trip, that trip would (probably) have bought it. So T > `atLastTrip` (days from
 *   the product's last purchase to the list's latest purchase), and it has run out by now
 *   when T ≤ `elapsed`: `P(atLastTrip < T ≤ elapsed) / P(T > atLastTrip)`.
 * - Unless the household stopped buying it (prior `DROPPED`): each trip that passes it by
 *   after it should have run out makes that likelier,
 *   `score = (1 - DROPPED) · P(atLastTrip < T ≤ elapsed) / ((1 - DROPPED) · P(T > atLastTrip) + DROPPED)`.
 *
 * A product bought on the latest trip scores `(1 - DROPPED) · P(T ≤ elapsed)`: 0 right after,
 * near 0.98 once well past its usual gap. One the latest trips passed by sinks towards 0
 * (probably dropped); no trips at all (a holiday) does not make a product look dropped.
 * Products bought once have no interval: they score at most `ONCE_MAX_SCORE` (older one-offs
 * higher), below every product likely to have run out.
 *
 * Limits: a trip is taken to buy what has run out, so a product forgotten on the latest trip
 * (or out of stock) looks half dropped until bought again; spread and drop prior are the same
 * for every product (chosen on the learning bench, not fitted per household).
 */

/** One product in one completed trip. */
export interface Purchase {
  key: string;
  name: string;
  unit: string;
  at: Date;
  tripId: string;
}

export interface SuggestionScore {
  key: string;
  name: string;
  unit: string;
  /** Distinct purchase days. */
  timesBought: number;
  lastBoughtAt: Date;
  /** Median interval between purchase days, in days (one decimal); null when bought once. */
  intervalDays: number | null;
  score: number;
  reason: string;
  frequencyLabel: string;
}

const DAY_MS = 86_400_000;
/** Spread (σ of the logarithm) of how long a product lasts around its usual duration. */
const SPREAD = 0.25;
/** Prior probability that the household has stopped buying a product. */
const DROPPED = 0.02;
/** Products bought once score at most this: below every product likely to have run out. */
const ONCE_MAX_SCORE = 0.1;
/** A product lasts at least this long (days), whatever its gaps and the trip gap. */
const MIN_LASTS_DAYS = 0.5;

export interface SuggestOptions {
  /** The list's usual days between shopping trips; default: the median gap between the history's shopping days. */
  tripGapDays?: number;
}

/**
 * What scoring needs of one product's history: the latest purchase, the number of distinct
 * purchase days, and the median gap between them (days; null when bought on one day). A few numbers per product, whatever the number of trips: the server aggregates
 * them in SQL (`SuggestionsRepository`), `summarize` does the same from purchases.
 */
export interface ProductSummary {
  key: string;
  name: string;
  unit: string;
  latest: Date;
  timesBought: number;
  medianGapDays: number | null;
}

/** A list's purchase history as `suggest` scores it. */
export interface HistorySummary {
  products: ProductSummary[];
  /** Distinct shopping days (day numbers, UTC), ascending: the usual gap between trips. */
  shoppingDays: number[];
}

/** The summary of these purchases (what the server's SQL computes from the trips it reads). */
export function summarize(purchases: Purchase[]): HistorySummary {
  const byKey = new Map<string, { latest: Purchase; days: Set<number> }>();
  for (const purchase of purchases) {
    const time = purchase.at.getTime();
    if (!Number.isFinite(time)) continue;
    const key = productKey(purchase.key);
    if (key === '') continue;
    const entry = byKey.get(key);
    const day = Math.floor(time / DAY_MS);
    if (!entry) {
      byKey.set(key, { latest: purchase, days: new Set([day]) });
      continue;
    }
    entry.days.add(day);
    if (time >= entry.latest.at.getTime()) entry.latest = purchase;
  }
  const products: ProductSummary[] = [];
  const shoppingDays = new Set<number>();
  for (const [key, { latest, days }] of byKey) {
    const sorted = [...days].sort((x, y) => x - y);
    for (const day of sorted) shoppingDays.add(day);
    const gaps = sorted.slice(1).map((day, i) => day - sorted[i]);
    products.push({
      key,
      name: latest.name,
      unit: latest.unit,
      latest: latest.at,
      timesBought: sorted.length,
      medianGapDays: gaps.length > 0 ? median(gaps) : null,
    });
  }
  return { products, shoppingDays: [...shoppingDays].sort((x, y) => x - y) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function normalisedList(onList: Set<string>): Set<string> {
  return new Set([...onList].map(productKey));
}

/**
 * Products bought before and not on the list (`onList` holds product keys or names), ranked
 * by how due they are. `name` and `unit` are those of the most recent purchase.
 */
export function suggest(
  purchases: Purchase[],
  onList: Set<string>,
  now: Date,
  limit = 20,
  options: SuggestOptions = {},
): SuggestionScore[] {
  return suggestFrom(summarize(purchases), onList, now, limit, options);
}

/** `suggest` from a history already summarized (per product, not per purchase). */
export function suggestFrom(
  history: HistorySummary,
  onList: Set<string>,
  now: Date,
  limit = 20,
  options: SuggestOptions = {},
): SuggestionScore[] {
  const listed = normalisedList(onList);
  const nowMs = now.getTime();
  const shoppingDays = history.shoppingDays;
  const firstDay = shoppingDays.length > 0 ? shoppingDays[0] : nowMs / DAY_MS;
  const spanDays = Math.max(1, nowMs / DAY_MS - firstDay);
  const tripGaps = shoppingDays.slice(1).map((day, i) => day - shoppingDays[i]);
  const tripGapDays = Math.max(0, options.tripGapDays ?? (tripGaps.length > 0 ? median(tripGaps) : 0));
  // The list's latest trip: its latest purchase.
  const lastTripMs = history.products.reduce(
    (latest, product) => Math.max(latest, product.latest.getTime()),
    -Infinity,
  );

  const scored: { suggestion: SuggestionScore; score: number }[] = [];
  for (const product of history.products) {
    if (listed.has(product.key)) continue;
    const elapsedDays = Math.max(0, (nowMs - product.latest.getTime()) / DAY_MS);
    const atLastTripDays = Math.max(0, (lastTripMs - product.latest.getTime()) / DAY_MS);
    const usual = product.medianGapDays;
    const score =
      usual === null
        ? // Frequency fallback: one purchase over the history so far; older one-offs rank
          // higher, but below every product likely to have run out.
          ONCE_MAX_SCORE * Math.min(1, elapsedDays / spanDays)
        : runOutProbability(elapsedDays, atLastTripDays, usual, tripGapDays);
    const intervalDays = usual === null ? null : Math.round(usual * 10) / 10;
    const label = frequencyLabel(intervalDays);
    const suggestion: SuggestionScore = {
      key: product.key,
      name: product.name,
      unit: product.unit,
      timesBought: product.timesBought,
      lastBoughtAt: product.latest,
      intervalDays,
      score: Math.round(score * 1000) / 1000,
      reason: reasonFor(intervalDays, label, elapsedDays),
      frequencyLabel: label,
    };
    scored.push({ suggestion, score });
  }
  scored.sort(
    (x, y) =>
      y.score - x.score ||
      y.suggestion.timesBought - x.suggestion.timesBought ||
      y.suggestion.lastBoughtAt.getTime() - x.suggestion.lastBoughtAt.getTime() ||
      (x.suggestion.key < y.suggestion.key ? -1 : x.suggestion.key > y.suggestion.key ? 1 : 0),
  );
  return scored.slice(0, Math.max(0, limit)).map((entry) => entry.suggestion);
}

/**
 * The probability that a product usually bought every `usualGapDays`, on a list shopped every
 * `tripGapDays`, has run out `elapsedDays` after its last purchase and is still bought, given
 * that the list's trips up to `atLastTripDays` after that purchase did not buy it (see the top
 * of this file).
 */
export function runOutProbability(
  elapsedDays: number,
  atLastTripDays: number,
  usualGapDays: number,
  tripGapDays: number,
): number {
  const lasts = Math.max(MIN_LASTS_DAYS, usualGapDays - tripGapDays / 2);
  const passedBy = lastsAtMost(Math.min(atLastTripDays, elapsedDays), lasts);
  const ranOut = lastsAtMost(elapsedDays, lasts) - passedBy;
  return ((1 - DROPPED) * ranOut) / ((1 - DROPPED) * (1 - passedBy) + DROPPED);
}

/** P(T ≤ days), T log-normal with median `lasts` and σ `SPREAD`. */
function lastsAtMost(days: number, lasts: number): number {
  return days <= 0 ? 0 : normalCdf(Math.log(days / lasts) / SPREAD);
}

/** Φ, the standard normal CDF (Abramowitz & Stegun 7.1.26 for erf, error below 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

function agoText(elapsedDays: number): string {
  const days = Math.floor(elapsedDays);
  if (days <= 0) return 'today';
  if (days === 1) return 'yesterday';
  return `${days} days ago`;
}

function reasonFor(intervalDays: number | null, label: string, elapsedDays: number): string {
  const ago = agoText(elapsedDays);
  if (intervalDays === null) return `Bought once, ${ago}.`;
  return `Usually bought ${label}; last bought ${ago}.`;
}

/**
 * A short human label for a real interval between purchases (days); `null` → "bought once".
 * Examples: "every 2 days", "weekly", "every ~10 days", "every 2 weeks", "monthly",
 * "every ~6 weeks", "every ~3 months".
 */
export function frequencyLabel(intervalDays: number | null): string {
  if (intervalDays === null || !Number.isFinite(intervalDays)) return 'bought once';
  const days = Math.max(0, intervalDays);
  if (days < 1.5) return 'daily';
  if (days < 2.5) return 'every 2 days';
  if (days < 5.5) return `every ~${Math.round(days)} days`;
  if (days < 8.5) return 'weekly';
  if (days < 12.5) return `every ~${Math.round(days)} days`;
  if (days < 17.5) return 'every 2 weeks';
  if (days < 24.5) return 'every ~3 weeks';
  if (days < 38) return 'monthly';
  if (days < 52) return 'every ~6 weeks';
  if (days < 75) return 'every 2 months';
  if (days < 320) return `every ~${Math.round(days / 30.4)} months`;
  return 'about yearly';
}

interface Tally {
  key: string;
  days: Set<number>;
  latest: number;
}

function tallies(purchases: Purchase[], onList: Set<string>): Tally[] {
  const listed = normalisedList(onList);
  const byKey = new Map<string, Tally>();
  for (const purchase of purchases) {
    const key = productKey(purchase.key);
    const time = purchase.at.getTime();
    if (key === '' || !Number.isFinite(time) || listed.has(key)) continue;
    const tally = byKey.get(key) ?? { key, days: new Set<number>(), latest: -Infinity };
    tally.days.add(Math.floor(time / DAY_MS));
    tally.latest = Math.max(tally.latest, time);
    byKey.set(key, tally);
  }
  return [...byKey.values()];
}

/** Baseline: the products bought on the most days (ties: more recent first), not on the list. */
export function baselineMostFrequent(purchases: Purchase[], onList: Set<string>, limit: number): string[] {
  return tallies(purchases, onList)
    .sort((x, y) => y.days.size - x.days.size || y.latest - x.latest || (x.key < y.key ? -1 : 1))
    .slice(0, Math.max(0, limit))
    .map((tally) => tally.key);
}

/** Baseline: the most recently bought products (ties: more often bought first), not on the list. */
export function baselineMostRecent(purchases: Purchase[], onList: Set<string>, limit: number): string[] {
  return tallies(purchases, onList)
    .sort((x, y) => y.latest - x.latest || y.days.size - x.days.size || (x.key < y.key ? -1 : 1))
    .slice(0, Math.max(0, limit))
    .map((tally) => tally.key);
}

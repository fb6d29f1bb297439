import { productKey } from '../common/product-key';

/**
 * Repurchase suggestions from a list's trip history. Pure functions: the caller passes the
 * purchases and the current time (from its injectable clock).
 *
 * For each product: the days it was bought (several purchases on one calendar day, UTC,
 * count once), the median interval between those days, and how due it is:
 * `(now - last + days until the next trip) / median interval`, the next trip being expected
 * after the list's usual gap between shopping days (so what runs out before then is
 * suggested now). A product not bought for more than twice its usual interval (or 1.25 ×
 * its longest gap, if it is irregular) has probably been dropped by the household and sinks
 * over the following interval; a product with few purchases counts a little less
 * (n / (n + 1)). Products bought once have no interval: they fall back to frequency and
 * stay below every due product.
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
/** Past this many usual intervals without a purchase, a product counts as dropped... */
const LAPSE_AFTER = 2;
/** ...or past this many times its longest gap, for irregular products. */
const LAPSE_AFTER_LONGEST_GAP = 1.25;
/** ...and its score then falls by e every half interval. */
const LAPSE_SCALE = 0.5;
/** Products bought once score at most this: below every product that is due. */
const ONCE_MAX_SCORE = 0.5;

export interface SuggestOptions {
  /** Days until the next trip is expected; default: the median gap between the history's shopping days. */
  horizonDays?: number;
}

/**
 * What scoring needs of one product's history: the latest purchase, the number of distinct
 * purchase days, and the median and longest gap between them (days; null when bought on
 * one day). A few numbers per product, whatever the number of trips: the server aggregates
 * them in SQL (`SuggestionsRepository`), `summarize` does the same from purchases.
 */
export interface ProductSummary {
  key: string;
  name: string;
  unit: string;
  latest: Date;
  timesBought: number;
  medianGapDays: number | null;
  longestGapDays: number | null;
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
      longestGapDays: gaps.length > 0 ? Math.max(...gaps) : null,
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
  const horizonDays = Math.max(0, options.horizonDays ?? (tripGaps.length > 0 ? median(tripGaps) : 0));

  const scored: { suggestion: SuggestionScore; score: number }[] = [];
  for (const product of history.products) {
    if (listed.has(product.key)) continue;
    const elapsedDays = Math.max(0, (nowMs - product.latest.getTime()) / DAY_MS);
    const usual = product.medianGapDays;
    let score: number;
    if (usual === null) {
      // Frequency fallback: one purchase over the history so far; older one-offs rank higher,
      // but never as high as a product that is due.
      score = ONCE_MAX_SCORE * Math.min(1, elapsedDays / spanDays);
    } else {
      const due = (elapsedDays + horizonDays) / usual;
      const lapseAfter = Math.max(LAPSE_AFTER, (LAPSE_AFTER_LONGEST_GAP * (product.longestGapDays ?? usual)) / usual);
      const overdue = elapsedDays / usual - lapseAfter;
      const lapse = overdue > 0 ? Math.exp(-overdue / LAPSE_SCALE) : 1;
      const support = product.timesBought / (product.timesBought + 1);
      score = due * lapse * support;
    }
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

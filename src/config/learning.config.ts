import { configNamespace, integer } from './env';

/** What learning from a list's history may cost per request (walking orders, suggestions). */
export const learningConfig = configNamespace(
  'learning',
  {
    /**
     * Products a store keeps learning and ranking its walking order for: the most recently
     * walked ones (older evidence is forgotten). The ranking is quadratic in them.
     */
    STORE_LEARNED_PRODUCTS: integer({ default: 100, min: 10, max: 1000 }),
    /** Suggestions look at trips completed within this many days … */
    SUGGESTION_HISTORY_DAYS: integer({ default: 400, min: 30, max: 3650 }),
    /** … and at most this many of the list's most recent trips. */
    SUGGESTION_HISTORY_TRIPS: integer({ default: 250, min: 10, max: 10_000 }),
    /** At most this many products (the most recently bought) are scored per request. */
    SUGGESTION_PRODUCTS: integer({ default: 500, min: 20, max: 10_000 }),
  },
  (v) => ({
    storeLearnedProducts: v.STORE_LEARNED_PRODUCTS,
    suggestions: {
      historyDays: v.SUGGESTION_HISTORY_DAYS,
      historyTrips: v.SUGGESTION_HISTORY_TRIPS,
      maxProducts: v.SUGGESTION_PRODUCTS,
    },
  }),
);

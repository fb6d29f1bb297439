import { configNamespace, integer } from './env';

/** The `Idempotency-Key` records of authenticated POSTs (IdempotencyInterceptor). */
export const idempotencyConfig = configNamespace(
  'idempotency',
  {
    /** How long a key is remembered: a retry within it replays the stored answer. */
    IDEMPOTENCY_TTL_HOURS: integer({ default: 24, min: 1, max: 720 }),
    /**
     * How long a claimed key waits for its request's outcome. A request that failed and could
     * not free its key (database down, instance gone) holds it this long at most; a request
     * running longer than this may see a retry take its key over (and then fails itself).
     */
    IDEMPOTENCY_LEASE_SEC: integer({ default: 30, min: 1, max: 3600 }),
  },
  (v) => ({
    ttlMs: v.IDEMPOTENCY_TTL_HOURS * 3_600_000,
    leaseMs: v.IDEMPOTENCY_LEASE_SEC * 1000,
  }),
);

export type IdempotencyConfig = ReturnType<typeof idempotencyConfig>;

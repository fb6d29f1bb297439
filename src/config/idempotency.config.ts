import { configNamespace, integer } from './env';

/** The `Idempotency-Key` records of authenticated POSTs (IdempotencyInterceptor). */
export const idempotencyConfig = configNamespace(
  'idempotency',
  {
    /** How long a key is remembered: a retry within it replays the stored answer. */
    IDEMPOTENCY_TTL_HOURS: integer({ default: 24, min: 1, max: 720 }),
  },
  (v) => ({
    ttlMs: v.IDEMPOTENCY_TTL_HOURS * 3_600_000,
  }),
);

export type IdempotencyConfig = ReturnType<typeof idempotencyConfig>;

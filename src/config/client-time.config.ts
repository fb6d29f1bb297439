import { configNamespace, integer } from './env';

/**
 * Part B of the contract: an offline phone may say when a check or a trip really happened
 * (`checkedAt`, `completedAt`). Times older than this many days are refused (400).
 */
export const clientTimeConfig = configNamespace(
  'clientTime',
  {
    CLIENT_TIME_MAX_AGE_DAYS: integer({ default: 30, min: 1, max: 365 }),
  },
  (v) => ({ maxAgeDays: v.CLIENT_TIME_MAX_AGE_DAYS }),
);

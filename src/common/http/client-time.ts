import { isISO8601, ValidateBy } from 'class-validator';
import { RequestValidationException } from './validation.pipe';

/** How far ahead of the server's clock a phone's clock may run (a time further ahead → 400). */
export const CLIENT_CLOCK_SKEW_MS = 2 * 60_000;

const DAY_MS = 86_400_000;

/** A date, a time and an explicit offset: a time without one would mean the phone's local time. */
const WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

/** An ISO-8601 time with a timezone, e.g. `2025-06-01T09:30:00.000Z` (part B of the contract). */
export const IsClientTime = () =>
  ValidateBy({
    name: 'isClientTime',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'string' &&
        WITH_OFFSET.test(value) &&
        isISO8601(value, { strict: true }) &&
        !Number.isNaN(Date.parse(value)),
      defaultMessage: () => 'must be an ISO-8601 time with a timezone, e.g. 2025-06-01T09:30:00Z',
    },
  });

/**
 * When something happened on the phone, as the server keeps it: at most CLIENT_CLOCK_SKEW_MS
 * after `now` and at most `maxAgeDays` before it; otherwise 400 naming `field`.
 */
export function acceptClientTime(field: string, value: string, now: Date, maxAgeDays: number): Date {
  const at = new Date(value);
  if (at.getTime() > now.getTime() + CLIENT_CLOCK_SKEW_MS) {
    throw new RequestValidationException([{ field, problem: 'must not be in the future' }]);
  }
  if (at.getTime() < now.getTime() - maxAgeDays * DAY_MS) {
    throw new RequestValidationException([
      { field, problem: `must be within the last ${maxAgeDays} day${maxAgeDays === 1 ? '' : 's'}` },
    ]);
  }
  return at;
}

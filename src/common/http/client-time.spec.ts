import { validateSync } from 'class-validator';
import { acceptClientTime, CLIENT_CLOCK_SKEW_MS, IsClientTime } from './client-time';
import { RequestValidationException } from './validation.pipe';

const NOW = new Date('2025-06-01T12:00:00.000Z');
const DAY_MS = 86_400_000;

class Body {
  @IsClientTime() at!: unknown;
}

function problems(value: unknown): string[] {
  const body = Object.assign(new Body(), { at: value });
  return validateSync(body).flatMap((error) => Object.values(error.constraints ?? {}));
}

function refusal(run: () => unknown): { message: string; details: unknown } {
  try {
    run();
  } catch (error) {
    if (error instanceof RequestValidationException) return { message: error.message, details: error.details };
    throw error;
  }
  throw new Error('accepted');
}

describe('IsClientTime', () => {
  it.each([
    '2025-06-01T09:30:00Z',
    '2025-06-01T09:30:00.123Z',
    '2025-06-01T11:30:00+02:00',
    '2025-06-01T09:30:00.1234567z',
  ])('should accept %s', (value) => expect(problems(value)).toEqual([]));

  it.each([
    '2025-06-01T09:30:00',
    '2025-06-01',
    '2025-06-01T09:30Z',
    '2025-02-30T10:00:00Z',
    '2025-06-01T24:00:00Z',
    '2025-06-01T23:59:60Z',
    '2025-06-01T12:00:00+24:00',
    '2025-06-01 09:30:00Z',
    ' 2025-06-01T09:30:00Z',
    1748770200000,
    null,
    {},
  ])('should refuse %p', (value) =>
    expect(problems(value)).toEqual(['must be an ISO-8601 time with a timezone, e.g. 2025-06-01T09:30:00Z']),
  );
});

describe('acceptClientTime', () => {
  const iso = (offsetMs: number) => new Date(NOW.getTime() + offsetMs).toISOString();

  it('should answer the time itself from 30 days back through 2 minutes ahead, both edges included', () => {
    for (const offset of [-30 * DAY_MS, -1, 0, CLIENT_CLOCK_SKEW_MS]) {
      expect(acceptClientTime('checkedAt', iso(offset), NOW, 30)).toEqual(new Date(NOW.getTime() + offset));
    }
  });

  it('should refuse a time more than 2 minutes ahead, naming the field', () => {
    expect(CLIENT_CLOCK_SKEW_MS).toBe(120_000);
    expect(refusal(() => acceptClientTime('completedAt', iso(CLIENT_CLOCK_SKEW_MS + 1), NOW, 30))).toEqual({
      message: 'completedAt must not be in the future.',
      details: [{ field: 'completedAt', problem: 'must not be in the future' }],
    });
  });

  it('should refuse a time older than the configured days, naming the field and the days', () => {
    expect(refusal(() => acceptClientTime('checkedAt', iso(-30 * DAY_MS - 1), NOW, 30))).toEqual({
      message: 'checkedAt must be within the last 30 days.',
      details: [{ field: 'checkedAt', problem: 'must be within the last 30 days' }],
    });
    expect(refusal(() => acceptClientTime('checkedAt', iso(-DAY_MS - 1), NOW, 1)).message).toBe(
      'checkedAt must be within the last 1 day.',
    );
  });
});

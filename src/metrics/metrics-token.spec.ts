import { bearerTokenMatcher } from './metrics-token';

describe('bearerTokenMatcher', () => {
  const matches = bearerTokenMatcher('s3cret-metrics-token');

  it('should accept exactly `Bearer <token>` (the scheme in any case)', () => {
    expect(matches('Bearer s3cret-metrics-token')).toBe(true);
    expect(matches('bearer s3cret-metrics-token')).toBe(true);
  });

  it.each([
    undefined,
    '',
    'Bearer',
    'Bearer ',
    's3cret-metrics-token',
    'Basic s3cret-metrics-token',
    'Bearer s3cret-metrics-toke',
    'Bearer s3cret-metrics-token2',
    'Bearer s3cret-metrics-token extra',
    'Bearer S3CRET-METRICS-TOKEN',
  ])('should refuse %j', (authorization) => {
    expect(matches(authorization)).toBe(false);
  });
});

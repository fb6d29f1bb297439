import { clientTimeConfig } from './client-time.config';

describe('clientTimeConfig', () => {
  it('should refuse client times older than 30 days by default', () => {
    expect(clientTimeConfig({})).toEqual({ maxAgeDays: 30 });
  });

  it('should take CLIENT_TIME_MAX_AGE_DAYS from 1 to 365', () => {
    expect(clientTimeConfig({ CLIENT_TIME_MAX_AGE_DAYS: '7' })).toEqual({ maxAgeDays: 7 });
    expect(clientTimeConfig.problems({ CLIENT_TIME_MAX_AGE_DAYS: '0' })).toEqual([
      'CLIENT_TIME_MAX_AGE_DAYS: must be a whole number from 1 to 365',
    ]);
  });
});

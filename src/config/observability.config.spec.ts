import { observabilityConfig } from './observability.config';

describe('observabilityConfig', () => {
  it('should leave the log format to the boot and not serve metrics by default', () => {
    expect(observabilityConfig({})).toEqual({ logFormat: undefined, metricsToken: null });
    expect(observabilityConfig({ LOG_FORMAT: '', METRICS_TOKEN: '' })).toEqual({
      logFormat: undefined,
      metricsToken: null,
    });
  });

  it('should read LOG_FORMAT=json|pretty and refuse anything else', () => {
    expect(observabilityConfig({ LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
    expect(observabilityConfig({ LOG_FORMAT: 'json' }).logFormat).toBe('json');
    expect(observabilityConfig.problems({ LOG_FORMAT: 'text' })).toEqual(['LOG_FORMAT: must be one of json, pretty']);
  });

  it('should take a METRICS_TOKEN of 16 characters or more, and refuse a shorter one without repeating it', () => {
    expect(observabilityConfig({ METRICS_TOKEN: 'a'.repeat(16) }).metricsToken).toBe('a'.repeat(16));
    const problems = observabilityConfig.problems({ METRICS_TOKEN: 'short-secret' });
    expect(problems).toEqual(['METRICS_TOKEN: must be at least 16 characters (e.g. openssl rand -hex 32)']);
    expect(problems.join()).not.toContain('short-secret');
  });
});

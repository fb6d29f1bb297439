import { configNamespace, duration, integer, oneOf, optionalText, text } from './env';

describe('configNamespace', () => {
  const example = configNamespace(
    'example',
    {
      SIZE: integer({ default: 3, min: 1, max: 10 }),
      MODE: oneOf(['fast', 'safe'], 'safe'),
      TTL: duration('15m'),
      LABEL: text('none'),
      URL: optionalText(),
    },
    (v) => ({ size: v.SIZE, mode: v.MODE, ttlMs: v.TTL, label: v.LABEL, url: v.URL ?? null }),
    (v) => (v.MODE === 'fast' && v.SIZE > 5 ? ['SIZE: at most 5 in fast mode'] : []),
  );

  it('should declare its variables', () => {
    expect(example.variables).toEqual(['SIZE', 'MODE', 'TTL', 'LABEL', 'URL']);
  });

  it('should build its settings from the defaults when nothing is set', () => {
    expect(example({})).toEqual({ size: 3, mode: 'safe', ttlMs: 15 * 60_000, label: 'none', url: null });
  });

  it('should read set values, and an empty optional one as unset', () => {
    expect(example({ SIZE: '7', MODE: 'safe', TTL: '2h', LABEL: '', URL: '' })).toEqual({
      size: 7,
      mode: 'safe',
      ttlMs: 2 * 3_600_000,
      label: '',
      url: null,
    });
  });

  it('should refuse to load with every bad variable named and no value repeated', () => {
    const load = () => example({ SIZE: '11', MODE: 'quick', TTL: '15 minutes', URL: 'x' });
    expect(load).toThrow(
      'Invalid configuration:\n' +
        '  - SIZE: must be a whole number from 1 to 10\n' +
        '  - MODE: must be one of fast, safe\n' +
        '  - TTL: must look like 30d, 12h, 15m or 90s',
    );
    expect(load).not.toThrow(/quick|15 minutes/);
  });

  it('should check its rules after the single variables', () => {
    expect(example.problems({ SIZE: '7', MODE: 'fast' })).toEqual(['SIZE: at most 5 in fast mode']);
    expect(example.problems({ SIZE: '5', MODE: 'fast' })).toEqual([]);
  });
});

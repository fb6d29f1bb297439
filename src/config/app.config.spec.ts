import { appConfig, parseTrustProxy } from './app.config';

describe('TRUST_PROXY', () => {
  it('should default to a proxy on this host (loopback)', () => {
    expect(appConfig({}).trustProxy).toEqual(['loopback']);
  });

  it.each<[string, unknown]>([
    ['false', false],
    ['true', true],
    ['1', 1],
    ['2', 2],
    ['0', 0],
    ['loopback', ['loopback']],
    ['10.0.0.1', ['10.0.0.1']],
    ['loopback, 10.0.0.0/8,fd00::/8', ['loopback', '10.0.0.0/8', 'fd00::/8']],
    ['192.168.0.0/255.255.0.0', ['192.168.0.0/255.255.0.0']],
    ['uniquelocal,linklocal', ['uniquelocal', 'linklocal']],
  ])('should read %j as %j (what Express means by it)', (raw, expected) => {
    expect(parseTrustProxy(raw)).toEqual(expected);
    expect(appConfig({ TRUST_PROXY: raw }).trustProxy).toEqual(expected);
  });

  it.each(['yes', '10.0.0.0/33', '::1/129', 'loopback,', 'proxy.internal', '1.2.3', '10.0.0.1/8/8', '-1'])(
    'should refuse %j at boot, naming the variable',
    (raw) => {
      expect(appConfig.problems({ TRUST_PROXY: raw })).toEqual([
        'TRUST_PROXY: must be true, false, a hop count, or comma-separated addresses, subnets or loopback/linklocal/uniquelocal',
      ]);
    },
  );
});

import { appConfig, parseTrustProxy } from './app.config';

/** The problems appConfig finds in `env` (what validateEnv reports for this namespace). */
const problems = (env: Record<string, string>) => appConfig.problems(env);

describe('appConfig', () => {
  describe('PUBLIC_URL', () => {
    it('should be required in production, with the exact problem text', () => {
      expect(problems({ NODE_ENV: 'production' })).toEqual([
        'PUBLIC_URL: required in production: the https address clients reach, used in the links the server hands out (e.g. https://cartsync.example.com)',
      ]);
    });

    it('should default to http://localhost:PORT outside production', () => {
      expect(problems({})).toEqual([]);
      expect(appConfig({ PORT: '4000' }).publicUrl).toBe('http://localhost:4000');
    });

    it('should refuse plain http in production, except for localhost', () => {
      expect(problems({ NODE_ENV: 'production', PUBLIC_URL: 'http://cartsync.example.com' })).toEqual([
        'PUBLIC_URL: must use https in production (http only for localhost)',
      ]);
      for (const local of ['http://localhost:3000', 'http://127.0.0.1:3000', 'http://[::1]:3000']) {
        expect(problems({ NODE_ENV: 'production', PUBLIC_URL: local })).toEqual([]);
      }
    });

    it('should accept an https URL in production, with or without a path, and drop trailing slashes', () => {
      const env = { NODE_ENV: 'production', PUBLIC_URL: 'https://cartsync.example.com/api/' };
      expect(problems(env)).toEqual([]);
      expect(appConfig(env).publicUrl).toBe('https://cartsync.example.com/api');
    });

    it.each([
      'cartsync.example.com',
      '/api',
      'ftp://example.com',
      'https://',
      'https://example.com/?a=1',
      'https://example.com/#x',
      'https://user:pw@example.com',
    ])('should refuse PUBLIC_URL=%j anywhere, without repeating it', (url) => {
      const found = problems({ PUBLIC_URL: url });
      expect(found).toEqual([
        'PUBLIC_URL: must be an absolute http(s) URL with no query, fragment or credentials, e.g. https://cartsync.example.com',
      ]);
    });

    it('should accept http on another host outside production (a phone on the LAN)', () => {
      expect(problems({ PUBLIC_URL: 'http://192.168.1.20:3000' })).toEqual([]);
    });
  });

  describe('SWAGGER_ENABLED', () => {
    it('should default to false in production and true otherwise', () => {
      const production = { NODE_ENV: 'production', PUBLIC_URL: 'https://cartsync.example.com' };
      expect(appConfig(production).swaggerEnabled).toBe(false);
      expect(appConfig({}).swaggerEnabled).toBe(true);
      expect(appConfig({ NODE_ENV: 'test' }).swaggerEnabled).toBe(true);
    });

    it('should follow an explicit true or false, and take empty for the default', () => {
      const production = { NODE_ENV: 'production', PUBLIC_URL: 'https://cartsync.example.com' };
      expect(appConfig({ ...production, SWAGGER_ENABLED: 'true' }).swaggerEnabled).toBe(true);
      expect(appConfig({ SWAGGER_ENABLED: 'false' }).swaggerEnabled).toBe(false);
      expect(appConfig({ ...production, SWAGGER_ENABLED: '' }).swaggerEnabled).toBe(false);
    });

    it('should refuse anything but true or false', () => {
      expect(problems({ SWAGGER_ENABLED: 'yes' })).toEqual(['SWAGGER_ENABLED: must be true or false']);
    });
  });
});

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

import { Client } from 'pg';
import { join } from 'node:path';
import { databaseConfig, DatabaseConnection, SSL_MODES } from './database.config';

const CA_FILE = join(__dirname, '../../test/fixtures/tls/ca.crt');
const HOST = { DB_HOST: 'db.internal', DB_USER: 'cartsync', DB_PASSWORD: 'secret', DB_NAME: 'cartsync' };
const URL_BASE = 'postgres://cartsync:secret@db.internal:5432/cartsync';

function connection(env: Record<string, string>): DatabaseConnection {
  return databaseConfig(env).external!;
}

const problems = (env: Record<string, string>) => databaseConfig.problems(env);

/** What node-postgres makes of the connection, as TypeORM's pool and the LISTEN client hand it over. */
function pgClientTls(c: DatabaseConnection): unknown {
  return (new Client({ connectionString: c.url, ssl: c.ssl }) as unknown as { ssl: unknown }).ssl;
}

describe('databaseConfig TLS (DB_SSLMODE, DB_SSLROOTCERT, sslmode in DATABASE_URL)', () => {
  it('should offer exactly the modes node-postgres knows, plus nothing of libpq it cannot honour', () => {
    expect(SSL_MODES).toEqual(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify']);
  });

  it('should connect in plain text with disable (the default)', () => {
    expect(connection(HOST).ssl).toBe(false);
    expect(connection({ ...HOST, DB_SSLMODE: 'disable' }).ssl).toBe(false);
  });

  it.each(['require', 'verify-full', 'prefer', 'allow'])(
    'should verify the certificate and the host name with %s, as node-postgres does',
    (mode) => {
      expect(connection({ ...HOST, DB_SSLMODE: mode }).ssl).toEqual({ rejectUnauthorized: true });
    },
  );

  it('should trust the CA file of DB_SSLROOTCERT instead of Node’s CAs', () => {
    const ssl = connection({ ...HOST, DB_SSLMODE: 'require', DB_SSLROOTCERT: CA_FILE }).ssl;
    expect(ssl).toEqual({ rejectUnauthorized: true, ca: expect.stringContaining('-----BEGIN CERTIFICATE-----') });
  });

  it('should verify the certificate against the CA file but not the host name with verify-ca', () => {
    const ssl = connection({ ...HOST, DB_SSLMODE: 'verify-ca', DB_SSLROOTCERT: CA_FILE }).ssl;
    expect(ssl).toEqual({
      rejectUnauthorized: true,
      ca: expect.stringContaining('-----BEGIN CERTIFICATE-----'),
      checkServerIdentity: expect.any(Function),
    });
    expect((ssl as { checkServerIdentity: () => unknown }).checkServerIdentity()).toBeUndefined();
  });

  it('should encrypt without verifying anything only when asked with no-verify', () => {
    expect(connection({ ...HOST, DB_SSLMODE: 'no-verify' }).ssl).toEqual({ rejectUnauthorized: false });
  });

  it('should refuse verify-ca without a CA file, with the exact problem text', () => {
    expect(problems({ ...HOST, DB_SSLMODE: 'verify-ca' })).toEqual([
      "DB_SSLMODE: verify-ca needs DB_SSLROOTCERT (the CA file that signed the server's certificate); with a certificate from a public CA use verify-full",
    ]);
  });

  it('should refuse a CA file that cannot be read, naming where it came from', () => {
    expect(problems({ ...HOST, DB_SSLMODE: 'verify-full', DB_SSLROOTCERT: '/nonexistent/ca.pem' })).toEqual([
      'DB_SSLROOTCERT: cannot read the CA file /nonexistent/ca.pem',
    ]);
    expect(problems({ DATABASE_URL: `${URL_BASE}?sslmode=require&sslrootcert=/nonexistent/ca.pem` })).toEqual([
      'DATABASE_URL (sslrootcert): cannot read the CA file /nonexistent/ca.pem',
    ]);
  });

  it('should refuse an unknown DB_SSLMODE', () => {
    expect(problems({ ...HOST, DB_SSLMODE: 'on' })).toEqual([
      'DB_SSLMODE: must be one of disable, allow, prefer, require, verify-ca, verify-full, no-verify',
    ]);
  });

  describe('sslmode in DATABASE_URL', () => {
    it('should get the same treatment as DB_SSLMODE, and win over it', () => {
      expect(connection({ DATABASE_URL: `${URL_BASE}?sslmode=require` }).ssl).toEqual({ rejectUnauthorized: true });
      expect(connection({ DATABASE_URL: `${URL_BASE}?sslmode=no-verify`, DB_SSLMODE: 'verify-full' }).ssl).toEqual({
        rejectUnauthorized: false,
      });
      expect(connection({ DATABASE_URL: `${URL_BASE}?sslmode=disable`, DB_SSLMODE: 'require' }).ssl).toBe(false);
    });

    it('should read sslrootcert from the URL and honour verify-ca with it', () => {
      const ssl = connection({ DATABASE_URL: `${URL_BASE}?sslmode=verify-ca&sslrootcert=${CA_FILE}` }).ssl;
      expect(ssl).toMatchObject({
        rejectUnauthorized: true,
        ca: expect.any(String),
        checkServerIdentity: expect.any(Function),
      });
    });

    it('should hand node-postgres a URL without the TLS parameters, and keep the others', () => {
      const c = connection({ DATABASE_URL: `${URL_BASE}?sslmode=verify-ca&sslrootcert=${CA_FILE}&application_name=x` });
      expect(c.url).toBe(`${URL_BASE}?application_name=x`);
      expect(connection({ DATABASE_URL: URL_BASE }).url).toBe(URL_BASE);
    });

    it('should read the legacy ssl=true as verify-full', () => {
      expect(connection({ DATABASE_URL: `${URL_BASE}?ssl=true` }).ssl).toEqual({ rejectUnauthorized: true });
    });

    it('should refuse an unknown sslmode, uselibpqcompat, and a DATABASE_URL that is not one, without repeating it', () => {
      expect(problems({ DATABASE_URL: `${URL_BASE}?sslmode=on` })).toEqual([
        'DATABASE_URL: sslmode must be one of disable, allow, prefer, require, verify-ca, verify-full, no-verify',
      ]);
      expect(problems({ DATABASE_URL: `${URL_BASE}?sslmode=require&uselibpqcompat=true` })).toEqual([
        'DATABASE_URL: uselibpqcompat is not supported: sslmode follows node-postgres (sslmode=no-verify encrypts without verifying)',
      ]);
      const bad = problems({ DATABASE_URL: 'cartsync:secret@db.internal' });
      expect(bad).toEqual([
        'DATABASE_URL: must be a postgres:// URL such as postgres://user:password@db.example.com:5432/cartsync',
      ]);
    });

    it('should refuse verify-ca in the URL without a CA file, naming DATABASE_URL', () => {
      expect(problems({ DATABASE_URL: `${URL_BASE}?sslmode=verify-ca` })).toEqual([
        "DATABASE_URL: verify-ca needs DB_SSLROOTCERT (the CA file that signed the server's certificate); with a certificate from a public CA use verify-full",
      ]);
    });
  });

  describe('what node-postgres makes of it (it parses sslmode from the URL itself, over the ssl it is given)', () => {
    const cases: [string, Record<string, string>][] = [
      ['DB_SSLMODE=require', { ...HOST, DB_SSLMODE: 'require' }],
      ['sslmode=require in the URL', { DATABASE_URL: `${URL_BASE}?sslmode=require` }],
      [
        'sslmode=verify-ca&sslrootcert in the URL',
        { DATABASE_URL: `${URL_BASE}?sslmode=verify-ca&sslrootcert=${CA_FILE}` },
      ],
      [
        'sslmode=verify-full in the URL, DB_SSLROOTCERT',
        { DATABASE_URL: `${URL_BASE}?sslmode=verify-full`, DB_SSLROOTCERT: CA_FILE },
      ],
      ['sslmode=no-verify in the URL', { DATABASE_URL: `${URL_BASE}?sslmode=no-verify` }],
      ['sslmode=disable in the URL', { DATABASE_URL: `${URL_BASE}?sslmode=disable` }],
    ];

    it.each(cases)('should keep exactly our TLS settings for %s', (_name, env) => {
      const c = connection(env);
      expect(pgClientTls(c)).toEqual(c.ssl);
    });

    it('should not let PGSSLMODE in the environment override a disabled TLS', () => {
      const saved = process.env.PGSSLMODE;
      process.env.PGSSLMODE = 'require';
      try {
        expect(pgClientTls(connection(HOST))).toBe(false);
      } finally {
        if (saved === undefined) delete process.env.PGSSLMODE;
        else process.env.PGSSLMODE = saved;
      }
    });
  });
});

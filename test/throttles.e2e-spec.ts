import { randomUUID } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { PasswordResetService } from '../src/auth/password-reset.service';
import { TestApp, useTestApp } from './support/app';
import { eventually } from './support/eventually';
import { expectErrorBody, Registered, registerUser } from './support/factories';
import { resetCodeIn, TestSmtpServer } from './support/smtp';
import { RefusedHandshake, TestSocket, wsUrl } from './support/ws-client';

const WRONG = 'not the password at all';
const MINUTE = 60;

/**
 * A 429 in the contract's shape: exactly `message`, and a Retry-After (seconds) that is the
 * rest of a `windowSec` window opened no earlier than `openedAt` (Date.now() before the
 * first counted request): between the window less the time the test took, and the window.
 */
function expectTooMany(
  res: { status: number; body: unknown; headers: Record<string, unknown> },
  message: string,
  windowSec: number,
  openedAt: number,
): void {
  expect(res.status).toBe(429);
  expectErrorBody(res.body, 429);
  expect(res.body).toEqual({ statusCode: 429, error: 'Too Many Requests', message, requestId: expect.any(String) });
  const retryAfter = Number(res.headers['retry-after']);
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(Math.ceil((windowSec * 1000 - (Date.now() - openedAt)) / 1000));
  expect(retryAfter).toBeLessThanOrEqual(windowSec);
}

const login = (t: TestApp, email: string, password: string) => t.http.post('/auth/login').send({ email, password });

async function keys(t: TestApp): Promise<string[]> {
  const rows: { key: string }[] = await t.dataSource.query('SELECT key FROM throttles');
  return rows.map((row) => row.key).sort();
}

describe('sign-in throttles (default limits: 10 failures per account, 15 minutes)', () => {
  const t = useTestApp();
  const LOCKED = 'Too many failed sign-in attempts for this account. Please try again in 15 minutes.';

  it('should answer 401 to 10 wrong passwords, then 429 to the right one', async () => {
    const u = await registerUser(t);
    const openedAt = Date.now();
    for (let i = 0; i < 10; i++) await login(t, u.email, WRONG).expect(401);

    expectTooMany(await login(t, u.email, u.password), LOCKED, 15 * MINUTE, openedAt);
  });

  it('should not let the right password in after 40 wrong ones (the reproduction of issue 9)', async () => {
    const u = await registerUser(t);
    const openedAt = Date.now();
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await login(t, u.email, WRONG)).status);
    expect(statuses).toEqual([...Array<number>(10).fill(401), ...Array<number>(30).fill(429)]);

    expectTooMany(await login(t, u.email, u.password), LOCKED, 15 * MINUTE, openedAt);
  });

  it('should not count successful sign-ins against the account', async () => {
    const u = await registerUser(t);
    for (let i = 0; i < 9; i++) await login(t, u.email, WRONG).expect(401);
    for (let i = 0; i < 5; i++) await login(t, u.email, u.password).expect(200);
    await login(t, u.email, WRONG).expect(401);

    expect((await login(t, u.email, u.password)).status).toBe(429);
  });

  it('should lock out an unknown email exactly like an account (no existence oracle)', async () => {
    const u = await registerUser(t);
    const nobody = `nobody-${randomUUID()}@example.com`;
    for (const email of [u.email, nobody]) {
      const openedAt = Date.now();
      for (let i = 0; i < 10; i++) await login(t, email, WRONG).expect(401);
      expectTooMany(await login(t, email, WRONG), LOCKED, 15 * MINUTE, openedAt);
    }
  });

  it('should lock only that account: another one signs in from the same address', async () => {
    const victim = await registerUser(t);
    const other = await registerUser(t);
    for (let i = 0; i < 11; i++) await login(t, victim.email, WRONG);
    await login(t, victim.email, victim.password).expect(429);

    await login(t, other.email, other.password).expect(200);
  });

  it('should let the account in again once the window has passed (time moved in the database)', async () => {
    const u = await registerUser(t);
    for (let i = 0; i < 10; i++) await login(t, u.email, WRONG).expect(401);
    await login(t, u.email, u.password).expect(429);

    await t.dataSource.query(`UPDATE throttles SET expire = expire - 900000`);
    await login(t, u.email, u.password).expect(200);
  });

  it('should keep no email and no address in clear: every key is a limit name and a keyed hash', async () => {
    const u = await registerUser(t);
    await login(t, u.email, WRONG).expect(401);
    await t.http.post('/auth/password-reset/request').send({ email: u.email }).expect(202);
    await t.app.get(PasswordResetService).beforeApplicationShutdown();

    const stored = await keys(t);
    expect(stored.map((key) => key.split(':')[0])).toEqual(
      expect.arrayContaining(['login-account', 'login-ip', 'reset-request-account', 'reset-request-ip']),
    );
    for (const key of stored) {
      expect(key).toMatch(/^[a-z-]+:[A-Za-z0-9_-]{43}$/);
      expect(key).not.toContain(u.email);
      expect(key).not.toContain('127.0.0.1');
    }
  });
});

describe('sign-in throttle per address (LOGIN_MAX_FAILURES_PER_IP=3)', () => {
  const t = useTestApp({ LOGIN_MAX_FAILURES_PER_IP: '3' });

  it('should refuse a 4th sign-in from the address after 3 failures over 3 accounts, even a right one', async () => {
    const users = [await registerUser(t), await registerUser(t), await registerUser(t), await registerUser(t)];
    const openedAt = Date.now();
    for (const u of users.slice(0, 3)) await login(t, u.email, WRONG).expect(401);

    expectTooMany(
      await login(t, users[3].email, users[3].password),
      'Too many failed sign-in attempts from your network. Please try again in 15 minutes.',
      15 * MINUTE,
      openedAt,
    );
  });
});

describe('sign-up throttle per address (REGISTER_MAX_PER_IP=3)', () => {
  const t = useTestApp({ REGISTER_MAX_PER_IP: '3' });
  const register = (email: string) =>
    t.http.post('/auth/register').send({ email, password: 'correct horse battery', name: 'Ana' });

  it('should answer 3 sign-ups (a known email still 409), then 429 without creating the account', async () => {
    const openedAt = Date.now();
    const first = `user-${randomUUID()}@example.com`;
    await register(first).expect(201);
    await register(`user-${randomUUID()}@example.com`).expect(201);
    const known = await register(first);
    expect(known.status).toBe(409);
    expectErrorBody(known.body, 409);

    const late = `user-${randomUUID()}@example.com`;
    expectTooMany(
      await register(late),
      'Too many sign-ups from your network. Please try again in 60 minutes.',
      60 * MINUTE,
      openedAt,
    );
    expectTooMany(
      await register(first),
      'Too many sign-ups from your network. Please try again in 60 minutes.',
      60 * MINUTE,
      openedAt,
    );
    const rows: unknown[] = await t.dataSource.query('SELECT 1 FROM users WHERE email = $1', [late]);
    expect(rows).toEqual([]);
  });
});

describe('password reset throttles (3 requests per address, 3 wrong codes per account, 5 per address)', () => {
  const smtp = new TestSmtpServer();
  const t = useTestApp(async () => ({
    SMTP_URL: await smtp.start(),
    RESET_REQUESTS_PER_IP_PER_HOUR: '3',
    RESET_CONFIRM_MAX_FAILURES: '3',
    RESET_CONFIRM_MAX_FAILURES_PER_IP: '5',
  }));
  afterAll(() => smtp.stop());
  afterEach(() => t.app.get(PasswordResetService).beforeApplicationShutdown());

  const requestReset = (email: string) => t.http.post('/auth/password-reset/request').send({ email });
  const confirm = (email: string, token: string) =>
    t.http.post('/auth/password-reset/confirm').send({ email, token, newPassword: 'a brand new passphrase' });
  const otherThan = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

  async function codeFor(u: Registered): Promise<string> {
    const before = smtp.countTo(u.email);
    await requestReset(u.email).expect(202);
    return resetCodeIn(await smtp.waitFor(u.email, before));
  }

  it('should answer 3 reset requests from one address, then 429', async () => {
    const openedAt = Date.now();
    for (let i = 0; i < 3; i++) await requestReset(`nobody-${randomUUID()}@example.com`).expect(202);

    expectTooMany(
      await requestReset(`nobody-${randomUUID()}@example.com`),
      'Too many password reset requests from your network. Please try again in 60 minutes.',
      60 * MINUTE,
      openedAt,
    );
  });

  it('should refuse the right code with 429 after 3 wrong ones for the account', async () => {
    const u = await registerUser(t);
    const code = await codeFor(u);
    const openedAt = Date.now();
    for (let i = 0; i < 3; i++) await confirm(u.email, otherThan(code)).expect(400);

    expectTooMany(
      await confirm(u.email, code),
      'Too many wrong reset codes for this account. Please try again in 15 minutes.',
      15 * MINUTE,
      openedAt,
    );
    await login(t, u.email, u.password).expect(200);
  });

  it('should refuse a 6th confirmation from an address after 5 wrong codes over several accounts', async () => {
    const openedAt = Date.now();
    for (let i = 0; i < 5; i++) await confirm(`nobody-${randomUUID()}@example.com`, '123456').expect(400);

    expectTooMany(
      await confirm(`nobody-${randomUUID()}@example.com`, '123456'),
      'Too many wrong reset codes from your network. Please try again in 15 minutes.',
      15 * MINUTE,
      openedAt,
    );
  });

  it('should end the sign-in lockout of the account when its password is reset', async () => {
    const u = await registerUser(t);
    for (let i = 0; i < 11; i++) await login(t, u.email, WRONG);
    await login(t, u.email, u.password).expect(429);

    await confirm(u.email, await codeFor(u)).expect(204);
    await login(t, u.email, 'a brand new passphrase').expect(200);
  });
});

describe('WebSocket handshake throttle per user (WS_HANDSHAKES_PER_MIN=3)', () => {
  const t = useTestApp({ WS_HANDSHAKES_PER_MIN: '3' });

  it('should open 3 sockets in a minute, then refuse the 4th with a real 429 and Retry-After before the 101', async () => {
    const ana = await registerUser(t);
    const bob = await registerUser(t);
    const url = (u: Registered) => wsUrl(t, `/ws/lists/${u.listId}?token=${u.token}`);
    const openedAt = Date.now();
    for (let i = 0; i < 3; i++) await (await TestSocket.open(url(ana))).close();

    const refused = await TestSocket.open(url(ana)).then(
      () => null,
      (error: RefusedHandshake) => error,
    );
    expect(refused).toBeInstanceOf(RefusedHandshake);
    expectTooMany(
      { status: refused!.status!, body: refused!.body, headers: refused!.headers },
      'Too many connection attempts. Please try again in 1 minute.',
      MINUTE,
      openedAt,
    );
    // Per user: Bob connects.
    await (await TestSocket.open(url(bob))).close();
  });
});

/** Two server instances on one database, as behind a load balancer. */
describe('throttles across instances (LOGIN_MAX_FAILURES=4)', () => {
  const a = useTestApp({ LOGIN_MAX_FAILURES: '4' });
  const b = useTestApp({ LOGIN_MAX_FAILURES: '4' }, { reset: false });

  it('should count failures through either instance against one limit', async () => {
    const u = await registerUser(a);
    const openedAt = Date.now();
    for (const app of [a, b, a, b]) await login(app, u.email, WRONG).expect(401);

    for (const app of [a, b]) {
      expectTooMany(
        await login(app, u.email, u.password),
        'Too many failed sign-in attempts for this account. Please try again in 15 minutes.',
        15 * MINUTE,
        openedAt,
      );
    }
  });
});

describe('expired throttle rows (THROTTLE_PURGE_INTERVAL_SEC=1)', () => {
  const t = useTestApp({ THROTTLE_PURGE_INTERVAL_SEC: '1' });

  it('should be deleted by the periodic purge, and only they', async () => {
    const ana = await registerUser(t);
    const bob = await registerUser(t);
    await login(t, ana.email, WRONG).expect(401);
    const before = await keys(t);
    const address = before.find((key) => key.startsWith('login-ip:'));
    // Every window so far ends (time moved in the database), then Bob fails from the same address.
    await t.dataSource.query(`UPDATE throttles SET expire = expire - 3600000`);
    await login(t, bob.email, WRONG).expect(401);
    const bobs = (await keys(t)).filter((key) => !before.includes(key));
    expect(bobs).toEqual([expect.stringMatching(/^login-account:/)]);

    await eventually(async () => expect(await keys(t)).toEqual([...bobs, address].sort()));
  });
});

/** A local address other than loopback, so the server sees a peer that is not a trusted proxy. */
function externalAddress(): string {
  const found = Object.values(networkInterfaces())
    .flat()
    .find((address) => address && address.family === 'IPv4' && !address.internal);
  if (!found) throw new Error('this test needs a non-loopback IPv4 interface');
  return found.address;
}

describe('TRUST_PROXY (REGISTER_MAX_PER_IP=2)', () => {
  const register = (http: ReturnType<typeof request>, forwardedFor: string) =>
    http
      .post('/auth/register')
      .set('X-Forwarded-For', forwardedFor)
      .send({ email: `user-${randomUUID()}@example.com`, password: 'correct horse battery', name: 'Ana' });

  describe('by default (loopback), for a client that is not on loopback', () => {
    const t = useTestApp({ REGISTER_MAX_PER_IP: '2' }, { host: '0.0.0.0' });

    it('should ignore a spoofed X-Forwarded-For: a new one each time does not escape the limit', async () => {
      const { port } = t.app.getHttpServer().address() as AddressInfo;
      const http = request(`http://${externalAddress()}:${port}`);
      await register(http, '203.0.113.1').expect(201);
      await register(http, '203.0.113.2').expect(201);

      expect((await register(http, '203.0.113.3')).status).toBe(429);
    });
  });

  describe('TRUST_PROXY=false', () => {
    const t = useTestApp({ REGISTER_MAX_PER_IP: '2', TRUST_PROXY: 'false' });

    it('should ignore X-Forwarded-For even from loopback', async () => {
      await register(t.http, '203.0.113.1').expect(201);
      await register(t.http, '203.0.113.2').expect(201);

      expect((await register(t.http, '203.0.113.3')).status).toBe(429);
    });
  });

  describe('TRUST_PROXY=loopback, for a proxy on loopback', () => {
    const t = useTestApp({ REGISTER_MAX_PER_IP: '2', TRUST_PROXY: 'loopback' });

    it('should count each forwarded client on its own', async () => {
      await register(t.http, '203.0.113.1').expect(201);
      await register(t.http, '203.0.113.1').expect(201);
      expect((await register(t.http, '203.0.113.1')).status).toBe(429);

      await register(t.http, '203.0.113.2').expect(201);
    });
  });

  describe('TRUST_PROXY=1 (one hop)', () => {
    const t = useTestApp({ REGISTER_MAX_PER_IP: '2', TRUST_PROXY: '1' });

    it('should believe only the address the proxy appended, not what the client put before it', async () => {
      await register(t.http, '198.51.100.7, 203.0.113.1').expect(201);
      await register(t.http, '198.51.100.8, 203.0.113.1').expect(201);

      expect((await register(t.http, '198.51.100.9, 203.0.113.1')).status).toBe(429);
      await register(t.http, '198.51.100.9, 203.0.113.2').expect(201);
    });
  });
});

import { randomUUID } from 'node:crypto';
import { Client, PoolClient } from 'pg';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { databaseConfig } from '../src/config/database.config';
import { ItemsRepository } from '../src/items/items.repository';
import { PgListener } from '../src/realtime/pg-listener';
import { useTestApp } from './support/app';
import { setNow } from './support/clock';
import { eventually } from './support/eventually';
import { expectErrorBody, registerUser } from './support/factories';
import { ownerAndMember } from './support/lists';
import { TcpProxy } from './support/tcp-proxy';
import { RefusedHandshake, TestSocket, wsUrl } from './support/ws-client';

/** What a client is told while the database cannot be reached: try again shortly. */
function expectUnavailable(res: { status: number; body: unknown; headers: Record<string, string> }): void {
  expect(res.status).toBe(503);
  expectErrorBody(res.body, 503);
  expect(res.body).toMatchObject({ error: 'Service Unavailable' });
  expect(res.headers['retry-after']).toBe('5');
}

/** A SQL session of the test's own, beside the app's pool (for what only an administrator does). */
async function withAdmin<T>(run: (admin: Client) => Promise<T>): Promise<T> {
  const admin = new Client({ connectionString: process.env.DATABASE_URL, application_name: 'cartsync-test-admin' });
  await admin.connect();
  try {
    return await run(admin);
  } finally {
    await admin.end();
  }
}

/** One app instance whose only way to PostgreSQL is a proxy the tests cut, black-hole and restore. */
describe('when the database is unreachable', () => {
  const POOL_SIZE = 3;
  let proxy: TcpProxy;
  beforeAll(async () => {
    proxy = await TcpProxy.start();
  });
  // The app closes through the proxy (hooks run in declaration order); only then is it taken down.
  afterAll(() => proxy.restore());
  // Every request asks the database whether its session is live, as a request after a cache miss does.
  const t = useTestApp(() => ({
    DATABASE_URL: proxy.url(),
    SESSION_CACHE_MS: '0',
    DB_POOL_SIZE: String(POOL_SIZE),
    DB_CONNECT_TIMEOUT_MS: '1000',
  }));
  afterAll(() => proxy.stop());

  /** Forwards again and waits until the app reaches the database (it may first meet connections that died). */
  async function backOnline(): Promise<void> {
    await proxy.restore();
    await eventually(() => t.http.get('/ready').expect(200), { timeoutMs: 5000, intervalMs: 100 });
  }

  // Whatever a test left cut or black-holed ends, so the next one starts with a working database.
  afterEach(async () => {
    await proxy.cut();
    await backOnline();
  });

  describe('readiness', () => {
    it('should be ready through the proxy while it forwards', async () => {
      const res = await t.http.get('/ready').expect(200);
      expect(res.body).toEqual({ status: 'ok' });
    });

    it('should answer GET /ready with 503, Retry-After and the error body while connections are refused', async () => {
      await t.http.get('/ready').expect(200);
      await proxy.cut();
      const res = await t.http.get('/ready');
      expectUnavailable(res);
      expect(res.body.requestId).toBe(res.headers['x-request-id']);
    });

    it('should keep answering GET /health with 200 while the database is gone', async () => {
      await proxy.cut();
      const res = await t.http.get('/health').expect(200);
      expect(res.body).toEqual({ status: 'ok' });
    });

    it('should answer GET /ready with 503 within about a second when the database hangs', async () => {
      await proxy.blackhole();
      const started = Date.now();
      expectUnavailable(await t.http.get('/ready'));
      expect(Date.now() - started).toBeLessThan(3000);
    });

    it('should be ready again within 5 s once the database is back', async () => {
      await proxy.cut();
      await t.http.get('/ready').expect(503);
      await proxy.restore();
      await eventually(() => t.http.get('/ready').expect(200), { timeoutMs: 5000, intervalMs: 100 });
    });

    it('should not leave a pool slot behind for each readiness check that hung', async () => {
      // Every slot of the pool holds an idle connection, which the black hole then silences.
      const runners = Array.from({ length: POOL_SIZE }, () => t.dataSource.createQueryRunner());
      await Promise.all(runners.map((runner) => runner.connect()));
      await Promise.all(runners.map((runner) => runner.release()));
      await proxy.blackhole();
      // Each check gets one of them, which never answers again: a check that kept its
      // connection would keep that slot for good.
      for (let i = 0; i <= POOL_SIZE; i++) await t.http.get('/ready').expect(503);
      await proxy.restore();
      await eventually(() => t.http.get('/ready').expect(200), { timeoutMs: 5000, intervalMs: 100 });
    });
  });

  describe('Idempotency-Key', () => {
    afterEach(() => jest.restoreAllMocks());

    it('should run a retry once the lease ran out when the key could not be freed because the database went down', async () => {
      const ana = await registerUser(t);
      const key = randomUUID();
      const post = () =>
        t.http.post(`/lists/${ana.listId}/items`).set(ana.auth).set('Idempotency-Key', key).send({ name: 'Milk' });
      // The database goes away after the key was claimed, before the write: the write fails, and so does freeing the key.
      const items = t.app.get(ItemsRepository);
      const add = items.add.bind(items);
      jest.spyOn(items, 'add').mockImplementationOnce(async (...args) => {
        await proxy.cut();
        return add(...args);
      });
      expectUnavailable(await post());
      await backOnline();
      expectErrorBody((await post().expect(409)).body, 409);
      setNow(t, new Date(Date.now() + 31_000)); // past IDEMPOTENCY_LEASE_SEC (30 by default)
      const retry = await post().expect(201);
      expect(retry.body).toMatchObject({ name: 'Milk', listId: ana.listId });
      const [{ n }]: { n: number }[] = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM items WHERE list_id = $1`,
        [ana.listId],
      );
      expect(n).toBe(1);
    });
  });

  describe('requests', () => {
    it('should answer an authenticated request with 503 and Retry-After, never 401, and 200 with the same token once the database is back', async () => {
      const ana = await registerUser(t);
      await t.http.get('/auth/me').set(ana.auth).expect(200);
      await proxy.cut();
      expectUnavailable(await t.http.get('/auth/me').set(ana.auth));
      expectUnavailable(await t.http.get(`/lists/${ana.listId}`).set(ana.auth));
      await proxy.restore();
      const back = await eventually(() => t.http.get('/auth/me').set(ana.auth).expect(200), {
        timeoutMs: 5000,
        intervalMs: 100,
      });
      expect(back.body).toMatchObject({ id: ana.userId, email: ana.email, listIds: [ana.listId] });
    });

    it('should answer 503 within DB_CONNECT_TIMEOUT_MS while the database accepts connections but never answers', async () => {
      const ana = await registerUser(t);
      await proxy.cut();
      await proxy.blackhole();
      const started = Date.now();
      expectUnavailable(await t.http.get('/auth/me').set(ana.auth));
      expect(Date.now() - started).toBeLessThan(3000);
    });

    it('should still answer 401 for a token that is not valid, database or not', async () => {
      await proxy.cut();
      const res = await t.http.get('/auth/me').set('Authorization', 'Bearer not.a.token').expect(401);
      expectErrorBody(res.body, 401);
    });

    it('should answer a public route that needs the database with 503, not 500', async () => {
      const ana = await registerUser(t);
      await proxy.cut();
      expectUnavailable(await t.http.post('/auth/login').send({ email: ana.email, password: ana.password }));
    });

    it('should refuse a WebSocket handshake with 503, not 401, while the database is down', async () => {
      const ana = await registerUser(t);
      await proxy.cut();
      const refused = await TestSocket.open(wsUrl(t, `/ws/lists/${ana.listId}?token=${ana.token}`)).catch(
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(RefusedHandshake);
      expect((refused as RefusedHandshake).status).toBe(503);
      expectErrorBody((refused as RefusedHandshake).body, 503);
      await backOnline();
      const socket = await TestSocket.open(wsUrl(t, `/ws/lists/${ana.listId}?token=${ana.token}`));
      await socket.sync();
      await socket.close();
    });

    it('should keep serving, and deliver events again, after PostgreSQL terminated every connection of the app', async () => {
      const { owner, member, listId } = await ownerAndMember(t);
      const socket = await TestSocket.open(wsUrl(t, `/ws/lists/${listId}?token=${member.token}`));
      // Subscribed before the connections die: a join whose catch-up read is cut is closed 1011
      // "try again" by design (the client reconnects); this test's socket does not reconnect.
      await socket.sync();
      // The LISTEN connection may still be in its reconnect backoff from an earlier cut.
      await eventually(() => expect(t.app.get(PgListener).connected).toBe(true), { timeoutMs: 10_000 });
      const killed = await withAdmin(async (admin) => {
        const result = await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname = current_database() AND application_name IN ('cartsync', 'cartsync-listener')`,
        );
        return result.rowCount;
      });
      expect(killed).toBeGreaterThanOrEqual(2);
      const item = await eventually(
        () => t.http.post(`/lists/${listId}/items`).set(owner.auth).send({ name: 'Milk' }).expect(201),
        { timeoutMs: 5000, intervalMs: 100 },
      );
      await socket.waitFor((frames) => frames.some((f) => f.type === 'item:added' && f.payload.id === item.body.id));
      await socket.close();
    });
  });
});

describe('the LISTEN connection', () => {
  let proxy: TcpProxy;
  let listener: PgListener | undefined;
  beforeEach(async () => {
    proxy = await TcpProxy.start();
  });
  afterEach(async () => {
    await listener?.onApplicationShutdown();
    listener = undefined;
    await proxy.stop();
  });

  function listenerThroughProxy(connectTimeoutMs: number): PgListener {
    listener = new PgListener(
      databaseConfig({ DATABASE_URL: proxy.url(), DB_CONNECT_TIMEOUT_MS: String(connectTimeoutMs) }),
    );
    return listener;
  }

  it('should give up connecting to a server that never answers within DB_CONNECT_TIMEOUT_MS', async () => {
    await proxy.blackhole();
    const started = Date.now();
    await expect(listenerThroughProxy(300).listen(['cartsync_test'], () => undefined)).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('should retry a reconnect that hangs, and listen again once the server answers', async () => {
    const payloads: string[] = [];
    let reconnects = 0;
    const pg = listenerThroughProxy(300);
    pg.onReconnect(() => reconnects++);
    await pg.listen(['cartsync_test'], (_channel, payload) => payloads.push(payload));
    // The connection drops, and the server it reconnects to accepts but never answers.
    await proxy.cut();
    await proxy.blackhole();
    const attempts = proxy.accepted;
    await eventually(() => expect(proxy.accepted).toBeGreaterThanOrEqual(attempts + 2), { timeoutMs: 5000 });
    expect(pg.connected).toBe(false);
    await proxy.restore();
    await eventually(() => expect(reconnects).toBe(1), { timeoutMs: 5000 });
    expect(pg.connected).toBe(true);
    await withAdmin((admin) => admin.query(`SELECT pg_notify('cartsync_test', 'back')`));
    await eventually(() => expect(payloads).toEqual(['back']));
  });
});

describe('a pooled connection the server ends while the app holds it between queries', () => {
  const t = useTestApp();

  it('should not crash the process (the readiness check holds its lease this way), and the pool should lend a working one next', async () => {
    const driver = t.dataSource.driver as PostgresDriver;
    // Leased as the readiness check leases it: straight from the pool, no query runner around it.
    const [client, release] = (await driver.obtainMasterConnection()) as [PoolClient, (error?: Error) => void];
    const ended = new Promise((resolve) => client.once('end', resolve));

    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const killed = await withAdmin((admin) => admin.query('SELECT pg_terminate_backend($1)', [rows[0].pid]));
    await ended;
    release(new Error('terminated by the test'));

    expect(killed.rows).toEqual([{ pg_terminate_backend: true }]);
    await t.http.get('/ready').expect(200);
  });
});

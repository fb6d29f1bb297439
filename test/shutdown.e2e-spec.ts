import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Server } from 'node:net';
import { Client, type QueryResultRow } from 'pg';
import { shutdownGracefully } from '../src/common/lifecycle/graceful-shutdown';
import { createTestApp, TestApp } from './support/app';
import { eventually } from './support/eventually';
import { registerUser } from './support/factories';

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/**
 * One HTTP request on its own fresh connection. supertest is not used here: once the server
 * stopped listening it would quietly start it again on a new port to send the request.
 */
function send(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: unknown) {
  return new Promise<RawResponse>((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: false,
        headers: { ...headers, ...(payload ? { 'Content-Type': 'application/json' } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text ? (JSON.parse(text) as unknown) : null,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Settles into an observable state, so a test can check "still pending" without awaiting. */
function track<T>(promise: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  const done = promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  );
  return { state, done };
}

/**
 * Holds the row lock of a list in a transaction of its own connection, so a PATCH of that
 * list waits in the database: a genuinely slow in-flight request.
 */
class ListLock {
  private readonly client = new Client({ connectionString: process.env.DATABASE_URL });
  private held = false;

  async hold(listId: string): Promise<void> {
    await this.client.connect();
    await this.client.query('BEGIN');
    await this.client.query('SELECT 1 FROM lists WHERE id = $1 FOR UPDATE', [listId]);
    this.held = true;
  }

  /** True once another backend of this database waits for a lock (the PATCH reached it). */
  async someoneWaits(): Promise<boolean> {
    const observer = new Client({ connectionString: process.env.DATABASE_URL });
    await observer.connect();
    try {
      const { rows } = await observer.query<{ waiting: number }>(
        `SELECT count(*)::int AS waiting FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> $1`,
        [(this.client as unknown as { processID: number }).processID],
      );
      return rows[0].waiting > 0;
    } finally {
      await observer.end();
    }
  }

  /** A query on the lock's own connection (outside the app and its pool). */
  query<R extends QueryResultRow>(text: string, values: unknown[]) {
    return this.client.query<R>(text, values);
  }

  async release(): Promise<void> {
    if (this.held) await this.client.query('COMMIT');
    this.held = false;
  }

  async end(): Promise<void> {
    await this.release().catch(() => undefined);
    await this.client.end().catch(() => undefined);
  }
}

describe('graceful shutdown', () => {
  let t: TestApp;
  let port: number;
  let lock: ListLock;
  let closed: boolean;

  beforeEach(async () => {
    t = await createTestApp();
    await t.reset();
    port = ((t.app.getHttpServer() as Server).address() as AddressInfo).port;
    lock = new ListLock();
    closed = false;
  });

  afterEach(async () => {
    await lock.end();
    if (!closed) await t.close();
  });

  /** A PATCH /lists/:id that is in flight, waiting on the row lock. */
  async function startSlowRename() {
    const u = await registerUser(t);
    await lock.hold(u.listId);
    const rename = track(send(port, 'PATCH', `/lists/${u.listId}`, u.auth, { name: 'Renamed while closing' }));
    // The PATCH waits for the row lock.
    await eventually(async () => expect(await lock.someoneWaits()).toBe(true));
    expect(rename.state.settled).toBe(false);
    return { u, rename };
  }

  it('should let an in-flight request finish with its normal answer, refuse new connections, then close', async () => {
    const { u, rename } = await startSlowRename();
    const events: string[] = [];
    const seenByAfterClose: { dataSourceInitialized?: boolean; listening?: boolean } = {};
    void rename.done.then(() => events.push('in-flight request answered'));

    const shutdown = track(
      shutdownGracefully(t.app, {
        timeoutMs: 5000,
        afterClose: () => {
          events.push('afterClose');
          seenByAfterClose.dataSourceInitialized = t.dataSource.isInitialized;
          seenByAfterClose.listening = (t.app.getHttpServer() as Server).listening;
        },
      }),
    );
    void shutdown.done.then(() => events.push('shutdown resolved'));
    closed = true;

    // New connections are refused from the moment the close began …
    await expect(send(port, 'GET', '/health')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    // … while the in-flight request is still waiting, and the app is not closed under it.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(rename.state.settled).toBe(false);
    expect(shutdown.state.settled).toBe(false);
    expect(t.dataSource.isInitialized).toBe(true);

    const releasedAt = Date.now();
    await lock.release();
    await rename.done;
    expect(rename.state.error).toBeUndefined();
    expect(rename.state.value).toMatchObject({ status: 200, body: { id: u.listId, name: 'Renamed while closing' } });

    await shutdown.done;
    expect(shutdown.state.error).toBeUndefined();
    // Drained promptly once the last request finished, not at the timeout.
    expect(Date.now() - releasedAt).toBeLessThan(2000);
    expect(events).toEqual(['in-flight request answered', 'afterClose', 'shutdown resolved']);
    expect(seenByAfterClose).toEqual({ dataSourceInitialized: false, listening: false });
  });

  it('should have committed the in-flight change before closing the pool', async () => {
    const { u, rename } = await startSlowRename();
    const shutdown = shutdownGracefully(t.app, { timeoutMs: 5000 });
    closed = true;
    await lock.release();
    await rename.done;
    await shutdown;
    const { rows } = await lock.query<{ name: string }>('SELECT name FROM lists WHERE id = $1', [u.listId]);
    expect(rows).toEqual([{ name: 'Renamed while closing' }]);
  });

  it('should close at once when no request is in flight', async () => {
    const afterClose = jest.fn();
    const started = Date.now();
    await shutdownGracefully(t.app, { timeoutMs: 5000, afterClose });
    closed = true;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(afterClose).toHaveBeenCalledTimes(1);
    expect(t.dataSource.isInitialized).toBe(false);
    await expect(send(port, 'GET', '/health')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('should close an idle keep-alive connection instead of waiting for it', async () => {
    const { Agent } = await import('node:http');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      await new Promise<void>((resolve, reject) => {
        httpRequest({ host: '127.0.0.1', port, path: '/health', agent }, (res) => {
          res.resume();
          res.on('end', resolve);
        })
          .on('error', reject)
          .end();
      });
      const started = Date.now();
      await shutdownGracefully(t.app, { timeoutMs: 5000 });
      closed = true;
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      agent.destroy();
    }
  });

  it('should cut a request still stuck when timeoutMs runs out, then finish closing', async () => {
    const { rename } = await startSlowRename();
    const afterClose = jest.fn();
    const started = Date.now();
    const shutdown = track(shutdownGracefully(t.app, { timeoutMs: 300, afterClose }));
    closed = true;

    await rename.done;
    const cutAfter = Date.now() - started;
    expect(rename.state.value).toBeUndefined();
    expect(rename.state.error).toMatchObject({ code: expect.stringMatching(/ECONNRESET|socket hang up/i) });
    expect(cutAfter).toBeGreaterThanOrEqual(250);
    expect(cutAfter).toBeLessThan(2000);

    // The lock is still held: closing must not wait for the stuck query either.
    await eventually(() => expect(shutdown.state.settled).toBe(true), { timeoutMs: 5000 });
    expect(shutdown.state.error).toBeUndefined();
    expect(afterClose).toHaveBeenCalledTimes(1);
    expect(t.dataSource.isInitialized).toBe(false);
  });
});

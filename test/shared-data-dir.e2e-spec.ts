import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../src/common/net/ports';
import { oldFallbackDir } from '../src/database/embedded-database';
import { isRunning } from '../src/database/embedded-postgres';
import { buildServer, postmasterPid, ServerProcess, stopStrayPostgres } from './support/server-process';

/**
 * `npm start` twice in one checkout: real server processes on one DATA_DIR, no DATABASE_URL,
 * so they meet at the embedded PostgreSQL in DATA_DIR/pg.
 */
describe('two servers on one data directory', () => {
  let dataDir: string;
  let pgDir: string;
  let pgPort: number;

  beforeAll(() => buildServer(), 120_000);

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cartsync-shared-'));
    await chmod(dataDir, 0o755); // the postgres user must reach DATA_DIR/pg
    pgDir = join(dataDir, 'pg');
    pgPort = await freePort('127.0.0.1');
  });

  afterEach(async () => {
    await ServerProcess.killAll();
    await stopStrayPostgres(pgDir);
    await rm(dataDir, { recursive: true, force: true });
  });

  async function server(port?: number): Promise<ServerProcess> {
    return ServerProcess.start({
      DATA_DIR: dataDir,
      PORT: port ?? (await freePort('127.0.0.1')),
      EMBEDDED_PG_PORT: pgPort,
    });
  }

  async function register(on: ServerProcess) {
    const credentials = { email: `user-${randomUUID()}@example.com`, password: 'correct horse battery' };
    const res = await on.request('POST', '/auth/register', { ...credentials, name: 'Ana' });
    expect(res.status).toBe(201);
    return credentials;
  }

  async function expectServing(on: ServerProcess, ...users: { email: string; password: string }[]) {
    expect((await on.request('GET', '/ready')).status).toBe(200);
    await register(on);
    for (const user of users) expect((await on.request('POST', '/auth/login', user)).status).toBe(200);
  }

  it('should let a second server share the running database, and keep it for whichever stays', async () => {
    const first = await server();
    await first.ready();
    const ana = await register(first);
    const postgres = postmasterPid(pgDir);

    const second = await server();
    await second.ready();
    expect(postmasterPid(pgDir)).toBe(postgres);
    const bo = await register(second);
    await expectServing(first, ana, bo);
    await expectServing(second, ana, bo);
    expect(second.output()).toContain(
      `sharing the PostgreSQL already running on ${pgDir} (127.0.0.1:${pgPort}) with CartSync server pid ${first.pid}`,
    );

    // Ctrl+C stops the server that started PostgreSQL: it must not take the database with it.
    await expect(first.interrupt()).resolves.toEqual({ code: 0, signal: null });
    expect(first.output()).toContain(`leaving the embedded PostgreSQL running for CartSync server pid ${second.pid}`);
    expect(postmasterPid(pgDir)).toBe(postgres);
    await expectServing(second, ana, bo);

    // The last one out stops it.
    await expect(second.stop()).resolves.toEqual({ code: 0, signal: null });
    expect(second.output()).toContain(`stopping the embedded PostgreSQL on ${pgDir}: no other CartSync server uses it`);
    expect(isRunning(postgres!)).toBe(false);
    expect(postmasterPid(pgDir)).toBeNull();
  }, 45_000);

  it('should refuse a second server on the same PORT with a clear message and leave the database alone', async () => {
    const first = await server();
    await first.ready();
    const ana = await register(first);
    const postgres = postmasterPid(pgDir);

    const second = await server(first.port);
    await expect(second.exited).resolves.toEqual({ code: 1, signal: null });
    expect(postmasterPid(pgDir)).toBe(postgres);
    await expectServing(first, ana);
    expect(second.output()).toContain(
      `CartSync failed to start: port ${first.port} on 127.0.0.1 is already in use (another CartSync server?): stop it or set PORT`,
    );
    expect(second.output()).not.toContain('PostgreSQL');
  }, 30_000);

  it('should take over the database of a server that was SIGKILLed', async () => {
    const killed = await server();
    await killed.ready();
    const ana = await register(killed);
    await killed.stop('SIGKILL');
    const orphan = postmasterPid(pgDir);
    expect(isRunning(orphan!)).toBe(true);

    const next = await server();
    await next.ready();
    await expectServing(next, ana);
    expect(next.output()).toContain(`taking over the PostgreSQL (pid ${orphan}) left running on ${pgDir}`);

    await expect(next.stop()).resolves.toEqual({ code: 0, signal: null });
    expect(isRunning(orphan!)).toBe(false);
    expect(postmasterPid(pgDir)).toBeNull();
  }, 30_000);
});

/**
 * `npm start` as root in a checkout under a directory the `postgres` user cannot enter (root's
 * 0700 home, as on many CI boxes and containers): the database still lives in DATA_DIR/pg.
 */
describe('a data directory below a directory closed to the postgres user', () => {
  const asRoot = userInfo().uid === 0 ? it : it.skip;
  let home: string;
  let dataDir: string;
  let pgDir: string;

  beforeAll(() => buildServer(), 120_000);

  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'cartsync-root-home-')); // 0700, owned by root: like /root
    dataDir = join(home, 'checkout', '.data');
    pgDir = join(dataDir, 'pg');
  });

  afterEach(async () => {
    await ServerProcess.killAll();
    await stopStrayPostgres(pgDir);
    await stopStrayPostgres(oldFallbackDir(pgDir));
    await rm(home, { recursive: true, force: true });
    await rm(oldFallbackDir(pgDir), { recursive: true, force: true });
  });

  async function server(): Promise<ServerProcess> {
    return ServerProcess.start({
      DATA_DIR: dataDir,
      PORT: await freePort('127.0.0.1'),
      EMBEDDED_PG_PORT: await freePort('127.0.0.1'),
    });
  }

  asRoot(
    'should keep the database in DATA_DIR/pg, changing no permission on the way there',
    async () => {
      const before = (await stat(home)).mode;
      const first = await server();
      await first.ready();
      const ana = { email: `user-${randomUUID()}@example.com`, password: 'correct horse battery' };
      expect((await first.request('POST', '/auth/register', { ...ana, name: 'Ana' })).status).toBe(201);

      const postgres = postmasterPid(pgDir);
      expect(postgres).not.toBeNull();
      expect(isRunning(postgres!)).toBe(true);
      expect(existsSync(join(pgDir, 'PG_VERSION'))).toBe(true);
      expect(existsSync(oldFallbackDir(pgDir))).toBe(false);
      expect(first.output()).not.toContain('keeping the database in');
      expect(first.output()).toContain(
        `the postgres user cannot enter a directory above ${pgDir}: PostgreSQL is started inside it (as /proc/self/cwd), no permission was changed`,
      );
      expect((await stat(home)).mode).toBe(before);
      expect(before & 0o777).toBe(0o700);

      // A second server joins it; after both stop, a restart finds the data where it was.
      const second = await server();
      await second.ready();
      expect(postmasterPid(pgDir)).toBe(postgres);
      expect((await second.request('POST', '/auth/login', ana)).status).toBe(200);
      await expect(second.stop()).resolves.toEqual({ code: 0, signal: null });
      await expect(first.stop()).resolves.toEqual({ code: 0, signal: null });
      expect(isRunning(postgres!)).toBe(false);

      const restarted = await server();
      await restarted.ready();
      expect((await restarted.request('POST', '/auth/login', ana)).status).toBe(200);
    },
    60_000,
  );

  asRoot(
    'should say where the database an earlier version kept in the temp dir is, and leave it alone',
    async () => {
      const old = oldFallbackDir(pgDir);
      await mkdir(old, { recursive: true });
      await writeFile(join(old, 'PG_VERSION'), '18\n');

      const started = await server();
      await started.ready();
      expect(started.output()).toContain(
        `an earlier start kept this checkout's database in ${old}; it is no longer used (the database is now in ${pgDir}): to keep its data, stop every CartSync server, then replace ${pgDir} with it (rm -rf '${pgDir}' && mv '${old}' '${pgDir}')`,
      );
      expect(existsSync(join(old, 'PG_VERSION'))).toBe(true);
      expect(existsSync(join(pgDir, 'PG_VERSION'))).toBe(true);
    },
    60_000,
  );
});

import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync, readlinkSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { EmbeddedPostgres, isRunning } from '../src/database/embedded-postgres';
import { postmasterPid } from './support/server-process';
import { eventually } from './support/eventually';

async function query(url: string, sql: string): Promise<unknown[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<Record<string, unknown>>(sql)).rows;
  } finally {
    await client.end();
  }
}

const ROOT = join(__dirname, '..');

/**
 * A server that starts the cluster on `dataDir`, then is SIGKILLed: a process of its own (one in
 * this process would rejoin as soon as its membership connection was cut). Returns its port.
 */
async function startThenKill(dataDir: string): Promise<number> {
  const script = `require('./src/database/embedded-postgres').EmbeddedPostgres.start({ dataDir: process.argv[1], port: 0, unsafeFast: true }).then((cluster) => process.stdout.write(cluster.port + '\\n'))`;
  const child = spawn(process.execPath, ['-r', './test/support/ts-register.js', '-e', script, dataDir], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(Number(out.trim()));
    });
    child.once('exit', (code) => reject(new Error(`the server exited (${code}) before its cluster was up`)));
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  return port;
}

describe('EmbeddedPostgres (zero-config database)', () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cartsync-embedded-spec-'));
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  it('should keep data across a stop and a restart on the same directory', async () => {
    const first = await EmbeddedPostgres.start({ dataDir, port: 0, unsafeFast: true });
    const url = await first.ensureDatabase('keep');
    await query(url, `CREATE TABLE t (v text); INSERT INTO t VALUES ('kept')`);
    await first.stop();
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);

    const second = await EmbeddedPostgres.start({ dataDir, port: 0, unsafeFast: true });
    try {
      await expect(query(await second.ensureDatabase('keep'), 'SELECT v FROM t')).resolves.toEqual([{ v: 'kept' }]);
    } finally {
      await second.stop();
    }
  });

  it('should start over a stale postmaster.pid whose process is gone', async () => {
    const first = await EmbeddedPostgres.start({ dataDir, port: 0, unsafeFast: true });
    await first.stop();
    await writeFile(join(dataDir, 'postmaster.pid'), '999999\n/nowhere\n');
    const again = await EmbeddedPostgres.start({ dataDir, port: 0, unsafeFast: true });
    try {
      await expect(query(again.url(), 'SELECT 1 AS ok')).resolves.toEqual([{ ok: 1 }]);
    } finally {
      await again.stop();
    }
  });

  it('should let a second instance share the running cluster, and leave it running until the last one stops', async () => {
    const first = await EmbeddedPostgres.start({ dataDir, port: 0, unsafeFast: true });
    const postmaster = postmasterPid(dataDir)!;
    const messages: string[] = [];
    const second = await EmbeddedPostgres.start({ dataDir, port: 0, unsafeFast: true, log: (m) => messages.push(m) });
    try {
      expect(second.port).toBe(first.port);
      expect(postmasterPid(dataDir)).toBe(postmaster);
      expect(messages).toEqual([
        `sharing the PostgreSQL already running on ${dataDir} (127.0.0.1:${first.port}) with CartSync server pid ${process.pid}`,
      ]);

      await first.stop(); // the one that started Postgres
      await expect(query(second.url(), 'SELECT 1 AS ok')).resolves.toEqual([{ ok: 1 }]);
    } finally {
      await second.stop();
      await first.stop();
    }
    await expect(query(second.url(), 'SELECT 1')).rejects.toThrow();
    expect(isRunning(postmaster)).toBe(false);
  });

  it('should rejoin after its membership connection was cut, so that another instance leaving does not stop the cluster under it', async () => {
    const first = await EmbeddedPostgres.start({ dataDir, port: 0, unsafeFast: true });
    const postmaster = postmasterPid(dataDir)!;
    const second = await EmbeddedPostgres.start({ dataDir, port: 0, unsafeFast: true });
    const members = async () =>
      (await query(
        first.url(),
        `SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'cartsync server %' ORDER BY backend_start`,
      )) as { pid: number }[];
    try {
      // The first instance's membership (the older session) is ended, as a database blip or an
      // administrator's pg_terminate_backend would; the second's stays.
      const [firstMember] = await members();
      await query(first.url(), `SELECT pg_terminate_backend(${firstMember.pid})`);
      await eventually(async () => expect(await members()).toHaveLength(2));

      await second.stop();
      expect(isRunning(postmaster)).toBe(true);
      await expect(query(first.url(), 'SELECT 1 AS ok')).resolves.toEqual([{ ok: 1 }]);
    } finally {
      await second.stop();
      await first.stop();
    }
    expect(isRunning(postmaster)).toBe(false);
  });

  it('should take over a cluster whose server is gone, and stop it as its last user', async () => {
    // Its server dies (SIGKILL): its sessions end, Postgres keeps running.
    const gonePort = await startThenKill(dataDir);
    const postmaster = postmasterPid(dataDir)!;
    expect(isRunning(postmaster)).toBe(true);
    const messages: string[] = [];
    const successor = await EmbeddedPostgres.start({
      dataDir,
      port: 0,
      unsafeFast: true,
      log: (m) => messages.push(m),
    });
    try {
      expect(successor.port).toBe(gonePort);
      expect(messages).toEqual([
        `taking over the PostgreSQL (pid ${postmaster}) left running on ${dataDir} (127.0.0.1:${gonePort}) by a server that is gone`,
      ]);
      await expect(query(successor.url(), 'SELECT 1 AS ok')).resolves.toEqual([{ ok: 1 }]);
    } finally {
      await successor.stop();
    }
    expect(isRunning(postmaster)).toBe(false);
  });

  it('should initialise a new directory once when two instances start on it together', async () => {
    const [a, b] = await Promise.all([
      EmbeddedPostgres.start({ dataDir, port: 0, unsafeFast: true }),
      EmbeddedPostgres.start({ dataDir, port: 0, unsafeFast: true }),
    ]);
    try {
      expect(a.port).toBe(b.port);
      await expect(query(b.url(), 'SELECT 1 AS ok')).resolves.toEqual([{ ok: 1 }]);
    } finally {
      await a.stop();
      await b.stop();
    }
    expect(postmasterPid(dataDir)).toBeNull();
  });

  (userInfo().uid === 0 ? it : it.skip)(
    'should run, share and take over a cluster below a directory the postgres user cannot enter (as root)',
    async () => {
      const closed = join(dataDir, 'home'); // like root's 0700 home
      await mkdir(closed, { mode: 0o700 });
      const pgDir = join(closed, 'checkout', '.data', 'pg');
      const messages: string[] = [];
      const log = (m: string) => messages.push(m);
      const first = await EmbeddedPostgres.start({ dataDir: pgDir, port: 0, unsafeFast: true, log });
      const postmaster = postmasterPid(pgDir)!;
      const handed = `the postgres user cannot enter a directory above ${pgDir}: PostgreSQL is started inside it (as /proc/self/cwd), no permission was changed`;
      try {
        expect(readlinkSync(`/proc/${postmaster}/cwd`)).toBe(pgDir);
        expect(messages).toEqual([
          `initialising a PostgreSQL cluster in ${pgDir}`,
          handed,
          `embedded PostgreSQL listening on 127.0.0.1:${first.port}`,
        ]);
        messages.length = 0;
        const second = await EmbeddedPostgres.start({ dataDir: pgDir, port: 0, unsafeFast: true, log });
        await second.stop();
        expect(messages).toEqual([
          handed,
          `sharing the PostgreSQL already running on ${pgDir} (127.0.0.1:${first.port}) with CartSync server pid ${process.pid}`,
          `leaving the embedded PostgreSQL running for CartSync server pid ${process.pid}`,
        ]);
      } finally {
        await first.stop();
      }
      expect(isRunning(postmaster)).toBe(false);

      // A server that started it is SIGKILLed: the next one recognises the postmaster it left.
      const gonePort = await startThenKill(pgDir);
      const orphan = postmasterPid(pgDir)!;
      messages.length = 0;
      const successor = await EmbeddedPostgres.start({ dataDir: pgDir, port: 0, unsafeFast: true, log });
      await successor.stop();
      expect(messages).toEqual([
        handed,
        `taking over the PostgreSQL (pid ${orphan}) left running on ${pgDir} (127.0.0.1:${gonePort}) by a server that is gone`,
        `stopping the embedded PostgreSQL on ${pgDir}: no other CartSync server uses it`,
      ]);
      expect(isRunning(orphan)).toBe(false);
      expect(statSync(closed).mode & 0o777).toBe(0o700);
    },
    30_000,
  );

  it('should remove an ephemeral cluster on stop', async () => {
    const cluster = await EmbeddedPostgres.start({ dataDir, port: 0, ephemeral: true, unsafeFast: true });
    await cluster.stop();
    expect(existsSync(dataDir)).toBe(false);
  });
});

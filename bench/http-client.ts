/**
 * What `bench/learning-http.ts` needs to drive a server: a small JSON client (global fetch,
 * keep-alive) and a throwaway server of the production build on a free port, with its own
 * embedded PostgreSQL in a temp dir (removed at the end).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../src/common/net/ports';
import { EmbeddedPostgres } from '../src/database/embedded-postgres';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    readonly body: string,
  ) {
    super(`${method} ${path} → ${status}: ${body.slice(0, 300)}`);
  }
}

/** Requests made, for the report. */
export const requestCount = { value: 0 };

export class Api {
  constructor(readonly baseUrl: string) {}

  async request<T>(method: string, path: string, token?: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    for (let attempt = 0; ; attempt++) {
      requestCount.value++;
      const response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      // A shared 2-core machine: a saturated hashing queue answers 503 with Retry-After.
      if ((response.status === 503 || response.status === 429) && attempt < 20) {
        const retryAfter = Number(response.headers.get('retry-after') ?? '1');
        await new Promise((resolve) => setTimeout(resolve, Math.min(5, Math.max(0.1, retryAfter)) * 1000));
        continue;
      }
      if (!response.ok) throw new HttpError(response.status, method, path, text);
      return (text ? JSON.parse(text) : undefined) as T;
    }
  }

  get<T>(path: string, token: string): Promise<T> {
    return this.request<T>('GET', path, token);
  }

  post<T>(path: string, token: string | undefined, body: unknown): Promise<T> {
    return this.request<T>('POST', path, token, body);
  }

  patch<T>(path: string, token: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, token, body);
  }
}

export interface RunningServer {
  url: string;
  stop(): Promise<void>;
  /** The server's database, JWT secret and process id (for a baseline beside it, and its RSS). */
  databaseUrl?: string;
  jwtSecret?: string;
  pid?: number;
}

/**
 * Environment of the bench's server: development mode (production would demand SMTP, a public
 * URL…), the throttles a few hundred sign-ups from 127.0.0.1 would trip lifted, cheap argon2,
 * and client times accepted a year back (the simulated history lies in the past).
 */
export const BENCH_SERVER_ENV: Record<string, string> = {
  NODE_ENV: 'development',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
  SWAGGER_ENABLED: 'false',
  ARGON2_MEMORY_KIB: '4096',
  ARGON2_TIME_COST: '1',
  ARGON2_MAX_QUEUE: '1000',
  REGISTER_MAX_PER_IP: '100000',
  LOGIN_MAX_FAILURES_PER_IP: '100000',
  INVITE_MAX_FAILURES_PER_IP: '100000',
  WS_HANDSHAKES_PER_MIN: '100000',
  CLIENT_TIME_MAX_AGE_DAYS: '365',
  DB_POOL_SIZE: '20',
};

/** The variables of the caller's shell that would point the server elsewhere. */
const DROPPED = ['DATABASE_URL', 'DB_HOST', 'PORT', 'DATA_DIR', 'JWT_SECRET', 'SMTP_URL', 'PUBLIC_URL'];

async function waitReady(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'not listening';
  while (Date.now() < deadline) {
    // A signal (e.g. SIGSEGV from a native module loaded by the wrong Node) leaves exitCode null.
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the server exited (${child.exitCode ?? child.signalCode}) while starting`);
    }
    try {
      const response = await fetch(`${url}/ready`);
      if (response.ok) return;
      last = `${response.status} ${await response.text()}`;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the server at ${url} was not ready within ${timeoutMs / 1000} s (${last})`);
}

/**
 * `node dist/src/main.js` (the production build: `npm run build` first) on a free port, with
 * an ephemeral embedded PostgreSQL (fsync off: the bench measures learning, not durability) in
 * a temp dir. stop(): SIGTERM (graceful shutdown), then the cluster and the dir are removed.
 */
export async function startServer(
  root: string,
  log: (line: string) => void,
  /** Merged over BENCH_SERVER_ENV (e.g. a scenario's `serverEnv`). */
  extraEnv: Record<string, string> = {},
): Promise<RunningServer> {
  const main = join(root, 'dist', 'src', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
  const dir = await mkdtemp(join(tmpdir(), 'cartsync-bench-'));
  // Postgres runs as the postgres user when we are root: it must reach its data dir.
  await chmod(dir, 0o755);
  let cluster: EmbeddedPostgres | null = null;
  let child: ChildProcess | null = null;
  const cleanup = async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    cluster = await EmbeddedPostgres.start({ dataDir: join(dir, 'pg'), port: 0, ephemeral: true, unsafeFast: true });
    const databaseUrl = await cluster.ensureDatabase('cartsync');
    const port = await freePort('127.0.0.1');
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of DROPPED) delete env[name];
    const jwtSecret = randomBytes(32).toString('hex');
    Object.assign(env, BENCH_SERVER_ENV, extraEnv, {
      PORT: String(port),
      DATA_DIR: join(dir, 'data'),
      DATABASE_URL: databaseUrl,
      JWT_SECRET: jwtSecret,
    });
    // cwd: the temp dir, so that no .env of the checkout is loaded.
    child = spawn(process.execPath, [main], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => log(chunk.toString().trimEnd()));
    child.stderr?.on('data', (chunk: Buffer) => log(chunk.toString().trimEnd()));
    const url = `http://127.0.0.1:${port}`;
    await waitReady(url, child, 60_000);
    return { url, stop: cleanup, databaseUrl, jwtSecret, pid: child.pid };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

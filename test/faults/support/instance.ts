import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import type { History } from './history';
import { httpRequest } from './http-client';
import { sleep } from './timing';

export const ROOT = resolve(__dirname, '../../..');
export const MAIN = join(ROOT, 'dist/src/main.js');
/** The servers' drain bound after SIGTERM (short, so a stuck drain shows within the scenario). */
export const SHUTDOWN_TIMEOUT_MS = 5000;

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer()
      .once('error', fail)
      .listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => done(port));
      });
  });
}

/** Where the suite keeps server logs and the pids its global teardown kills if a run was cut short. */
export function runDir(): string {
  const dir = process.env.FAULTS_RUN_DIR;
  if (!dir) throw new Error('FAULTS_RUN_DIR is not set: run the suite with `npm run test:faults`');
  return dir;
}

/**
 * One CartSync server as production runs it: `node dist/src/main.js` (built by
 * `npm run build`) with the project's Node, its own port, data dir and log file.
 */
export class ServerInstance {
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  private exitInfo: { code: number | null; signal: string | null } | null = null;

  private constructor(
    readonly name: string,
    readonly port: number,
    readonly logFile: string,
    private readonly child: ChildProcess,
    private readonly history: History,
    private readonly pidFile: string,
  ) {
    this.exited = new Promise((done) =>
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        rmSync(pidFile, { force: true });
        history.record({
          kind: 'instance',
          instance: name,
          t: Date.now(),
          event: 'exited',
          pid: child.pid!,
          code,
          signal,
        });
        done(this.exitInfo);
      }),
    );
  }

  static async start(
    name: string,
    label: string,
    env: Record<string, string>,
    history: History,
  ): Promise<ServerInstance> {
    const port = await freePort();
    const dir = join(runDir(), label);
    mkdirSync(join(runDir(), 'pids'), { recursive: true });
    mkdirSync(dir, { recursive: true });
    const logFile = join(dir, 'server.log');
    const log = openSync(logFile, 'a');
    const child = spawn(process.execPath, [MAIN], {
      cwd: dir, // no stray .env is loaded
      stdio: ['ignore', log, log],
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: String(port),
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        // Production requires a mail transport; no scenario sends mail (port 9 refuses if one ever did).
        SMTP_URL: 'smtp://127.0.0.1:9',
        DATA_DIR: join(dir, 'data'),
        LOG_LEVEL: 'warn',
        ARGON2_MEMORY_KIB: '4096',
        ARGON2_TIME_COST: '1',
        SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
        // A claim whose request died with its instance is free again within the clients' retry budget (20 s).
        IDEMPOTENCY_LEASE_SEC: '5',
        // Some scenarios reconnect a device in a loop on purpose (handshakes meet the faults):
        // far more often than the per-user handshake throttle allows a real client.
        WS_HANDSHAKES_PER_MIN: '100000',
        ...env,
      },
    });
    closeSync(log);
    const pidFile = join(runDir(), 'pids', String(child.pid));
    writeFileSync(pidFile, `${name} ${label}\n`);
    history.record({ kind: 'instance', instance: name, t: Date.now(), event: 'started', pid: child.pid! });
    const instance = new ServerInstance(name, port, logFile, child, history, pidFile);
    await instance.waitReady(30_000);
    return instance;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.exitInfo === null;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.alive) this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.alive) return;
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  logTail(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.alive) {
        throw new Error(`instance ${this.name} exited during start-up:\n${this.logTail()}`);
      }
      const answer = await httpRequest({ port: this.port, method: 'GET', path: '/ready', timeoutMs: 2000 }).catch(
        () => null,
      );
      if (answer?.status === 200) return;
      await sleep(100);
    }
    await this.stop(1000);
    throw new Error(`instance ${this.name} was not ready within ${timeoutMs} ms:\n${this.logTail()}`);
  }
}

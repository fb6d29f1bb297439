/**
 * A small driver for the WebSocket scenarios while the harness (bench/perf/harness.ts) is not
 * there, or to run one of them alone: starts the app's production build with a throwaway
 * embedded PostgreSQL (bench/http-client.ts `startServer`, the scenarios' `serverEnv` merged
 * in), the WebSocket baseline (bench/baseline/ws-server.ts) on the same DATABASE_URL and
 * JWT_SECRET, seeds each scenario through the app's API and runs it against app and baseline
 * alternately (A B, DEV_ROUNDS times), printing every run's figures and the targets.
 *
 *   npm run build && npx tsc -p tsconfig.bench.json &&
 *   WS_FANOUT_SOCKETS=200 WS_FANOUT_SECONDS=3 WS_IDLE_SOCKETS=200 WS_REPLAY_REPS=5 \
 *     node_modules/.bin/node dist/bench-learning/bench/perf/dev-socket-driver.js fan-out replay idle-memory
 *
 * (node_modules/.bin/node: the Node 24 the project runs on, docs/STACK.md; the system Node 20
 * cannot load the argon2 addon and the app dies with SIGSEGV while starting.)
 *
 * DEV_WARM=0 skips the unrecorded warm-up run of each contender. Sizes (environment): see each
 * scenario's header. Run from the repository root.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { RunningServer, startServer } from '../http-client';
import { Contender, RunResult, Scenario } from './scenario';
import { fanOut } from './scenarios/fan-out';
import { idleMemory } from './scenarios/idle-memory';
import { replay } from './scenarios/replay';
import { err, out, sizeFromEnv } from './sockets';

const SCENARIOS: Record<string, Scenario<never>> = {
  'fan-out': fanOut as Scenario<never>,
  replay: replay as Scenario<never>,
  'idle-memory': idleMemory as Scenario<never>,
};

const log = (line: string) => out(line);

/** `node <ws-server.js>` on the app's database and secret; resolves once it printed its port. */
async function startBaseline(databaseUrl: string, jwtSecret: string): Promise<{ child: ChildProcess; port: number }> {
  const script = join(__dirname, '..', 'baseline', 'ws-server.js');
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, DATABASE_URL: databaseUrl, JWT_SECRET: jwtSecret, HOST: '127.0.0.1', PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = /listening on http:\/\/[^:]+:(\d+)/.exec(text);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`the baseline exited with ${code} while starting`)));
  });
  return { child, port };
}

function print(scenario: string, contender: string, round: number, result: RunResult): void {
  const figures = result.figures.map((f) => `${f.name} ${f.value} ${f.unit}`).join(', ');
  out(`[${scenario}] ${contender} #${round}: ${figures}`);
}

async function main(): Promise<void> {
  const names = process.argv.slice(2);
  if (names.length === 0) names.push('fan-out', 'replay', 'idle-memory');
  const scenarios = names.map((name) => {
    const scenario = SCENARIOS[name];
    if (!scenario) throw new Error(`unknown scenario ${name} (${Object.keys(SCENARIOS).join(', ')})`);
    return scenario;
  });
  const rounds = sizeFromEnv('DEV_ROUNDS', 1);
  const serverEnv = Object.assign({}, ...scenarios.map((s) => s.serverEnv ?? {})) as Record<string, string>;
  let app: RunningServer | null = null;
  let baseline: ChildProcess | null = null;
  try {
    app = await startServer(process.cwd(), (line) => log(`  app: ${line}`), serverEnv);
    const { databaseUrl, jwtSecret, pid } = app;
    if (!databaseUrl || !jwtSecret || !pid) throw new Error('startServer gave no databaseUrl/jwtSecret/pid');
    const started = await startBaseline(databaseUrl, jwtSecret);
    baseline = started.child;
    const appWs = app.url.replace(/^http/, 'ws');
    const contenders: Contender[] = [
      { name: 'app', httpUrl: app.url, wsUrl: appWs, pid },
      {
        name: 'baseline',
        httpUrl: `http://127.0.0.1:${started.port}`,
        wsUrl: `ws://127.0.0.1:${started.port}`,
        pid: baseline.pid!,
      },
    ];
    for (const scenario of scenarios) {
      const seed = await scenario.seed({ appUrl: app.url, databaseUrl, jwtSecret, log });
      const runs: Record<string, RunResult[]> = { app: [], baseline: [] };
      // One unrecorded run of each first (JIT, pools, caches), as the harness warms contenders.
      if (process.env.DEV_WARM !== '0') {
        for (const contender of contenders) await scenario.run(contender, seed);
      }
      for (let round = 1; round <= rounds; round++) {
        for (const contender of contenders) {
          const result = await scenario.run(contender, seed);
          runs[contender.name].push(result);
          print(scenario.name, contender.name, round, result);
        }
      }
      for (const target of scenario.targets) {
        const outcome = target.check(runs);
        out(
          `[${scenario.name}] target ${target.name}: ${outcome.value} (required ${outcome.required}) ${outcome.met ? 'MET' : 'MISSED'}`,
        );
      }
    }
  } finally {
    if (baseline && baseline.exitCode === null) {
      const exited = new Promise((resolve) => baseline!.once('exit', resolve));
      baseline.kill('SIGTERM');
      await exited;
    }
    await app?.stop();
  }
}

main().catch((error: Error) => {
  err(error.stack ?? error.message);
  process.exitCode = 1;
});

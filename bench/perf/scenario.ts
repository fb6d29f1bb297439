/**
 * What every performance scenario of `npm run bench` is: seeded once through the app's API on
 * the database both contenders share, then run against each contender in turn (app, baseline,
 * app, baseline…), each run returning its figures. The harness starts the contenders, warms
 * them, alternates them, prints the table and writes the JSON; a scenario only drives load.
 */

/** A server under test: the app (production build) or a raw baseline, on the same database. */
export interface Contender {
  /** 'app', 'baseline', or 'app@<ref>' for an older build of the app measured in the same run. */
  name: string;
  /** http://127.0.0.1:<port> */
  httpUrl: string;
  /** ws://127.0.0.1:<port> */
  wsUrl: string;
  /** The server process, for its resident memory (/proc/<pid>/status VmRSS). */
  pid: number;
}

/** What the harness gives a scenario to seed with: the app's base URL and the shared database. */
export interface SeedContext {
  appUrl: string;
  databaseUrl: string;
  /** The app's JWT_SECRET (a baseline verifies the same tokens). */
  jwtSecret: string;
  log(line: string): void;
}

/** One figure of a run, e.g. { name: 'p99', unit: 'ms', value: 118.2 }. */
export interface Figure {
  name: string;
  unit: 'req/s' | 'ms' | 'MiB' | 'KiB' | 'count' | 'frames';
  value: number;
  /** Whether a lower value is better (latency, memory) or a higher one (throughput). */
  lowerIsBetter: boolean;
}

export interface RunResult {
  figures: Figure[];
  /** Latency samples in ms (or an HDR histogram's percentiles) for the SVG chart, if any. */
  latencies?: number[];
}

export interface Target {
  /** e.g. 'REST read ≥ 0.6× baseline throughput' */
  name: string;
  /** Computed from the runs of both contenders; `met` decides the bench's exit code. */
  check(runs: Record<string, RunResult[]>): { value: number; required: string; met: boolean };
}

export interface Scenario<Seed = unknown> {
  name: string;
  /**
   * Optional (sockets helper): variables the harness merges into the app's environment (after
   * BENCH_SERVER_ENV) for this scenario's server, e.g. socket limits lifted for 10,000 sockets.
   * Scenarios that share one app process: the harness merges all of them (they only lift limits).
   */
  serverEnv?: Record<string, string>;
  /**
   * Optional (sockets helper): the baseline process this scenario measures against, as the path
   * of its source under the repository root (e.g. 'bench/baseline/ws-server.ts'; the harness runs
   * the compiled file). The process reads DATABASE_URL, JWT_SECRET, HOST and PORT, and is ready
   * when `GET /ready` answers 200. Absent: the harness's REST baseline.
   */
  baseline?: string;
  /** Seeds the shared database through the app's API (users, lists, items, sockets' tokens). */
  seed(context: SeedContext): Promise<Seed>;
  /** One measured run against one contender. */
  run(contender: Contender, seed: Seed): Promise<RunResult>;
  targets: Target[];
}

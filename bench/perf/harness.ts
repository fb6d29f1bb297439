/**
 * The harness of `npm run bench`: starts the processes (contenders.ts), then for each scenario
 * seeds through the app, warms every contender, and alternates the measured runs (app,
 * baseline, app@<ref>, app, baseline, …) for the rounds asked; then the tables, the targets,
 * the JSON, the SVG chart and the section of docs/BENCHMARKS.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { writeBenchmarkSection } from '../benchmarks-file';
import { buildRef, startAll } from './contenders';
import type { Contender, RunOptions, RunResult, Scenario } from './scenario';
import { consoleTable, formatNumber, markdownTable, medianCurves, scenarioTable } from './stats';
import { ChartPanel, latencyChart } from './svg';

export const DEFAULT_BASELINE = 'rest-server';

/** A scenario's baseline as a script name under bench/baseline/ ('bench/baseline/ws-server.ts' → 'ws-server'); null: none. */
export function baselineOf(scenario: Scenario<unknown>): string | null {
  if (scenario.baseline === null) return null;
  const given = scenario.baseline ?? DEFAULT_BASELINE;
  return given.replace(/^(\.\/)?bench\/baseline\//, '').replace(/\.(ts|js)$/, '');
}
export const DOCS_HEADING = '## Performance envelope (npm run bench)';

export interface BenchOptions {
  root: string;
  /** Directory of the compiled baseline scripts. */
  baselineDir: string;
  seconds: number;
  warmSeconds: number;
  rounds: number;
  connections: number;
  before?: string;
  /** Write docs/BENCHMARKS.md and docs/bench/latency.svg (false: JSON only). */
  docs: boolean;
  /** A note printed with the figures (e.g. "dev run, machine shared"). */
  label?: string;
  /** The command as typed, for the docs. */
  command: string;
}

export interface TargetOutcome {
  scenario: string;
  name: string;
  value: number;
  required: string;
  met: boolean;
}

export interface ScenarioOutcome {
  name: string;
  description?: string;
  baseline: string | null;
  contenders: string[];
  runs: Record<string, RunResult[]>;
  targets: TargetOutcome[];
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  command: string;
  label?: string;
  machine: { cores: number; cpu: string; memoryGiB: number; node: string; platform: string };
  commit: string;
  options: { seconds: number; warmSeconds: number; rounds: number; connections: number; before?: string };
  scenarios: ScenarioOutcome[];
}

const log = (line: string) => process.stdout.write(`${line}\n`);

function git(root: string, args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

export function machine() {
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

export async function runBench(scenarios: Scenario<unknown>[], options: BenchOptions): Promise<BenchReport> {
  const startedAt = new Date().toISOString();
  // What the bench itself rewrites does not make the checkout dirty.
  const dirty =
    git(options.root, [
      'status',
      '--porcelain',
      '--untracked-files=no',
      '--',
      '.',
      ':!docs/BENCHMARKS.md',
      ':!docs/bench',
    ]) !== '';
  const commit = `${git(options.root, ['rev-parse', '--short', 'HEAD'])}${dirty ? ' (with uncommitted changes)' : ''}`;
  const built = options.before ? buildRef(options.root, options.before, log) : undefined;
  const baselineNames = [...new Set(scenarios.map(baselineOf).filter((b) => b !== null))];
  // The scenarios share one app process: their variables (limits lifted) are merged.
  const serverEnv = Object.assign({}, ...scenarios.map((s) => s.serverEnv ?? {})) as Record<string, string>;
  const processes = await startAll({
    root: options.root,
    baselineDir: options.baselineDir,
    baselines: baselineNames,
    serverEnv,
    before: built && options.before ? { ref: options.before, dir: built.dir } : undefined,
    log,
  });
  const stopping = async () => {
    await processes.stopAll();
    built?.remove();
  };
  const interrupted = () => {
    log('interrupted: stopping the servers and the database');
    void stopping().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const outcomes: ScenarioOutcome[] = [];
  try {
    const app = processes.contenders[0];
    for (const scenario of scenarios) {
      const baselineName = baselineOf(scenario);
      const contenders: Contender[] = [app];
      if (baselineName !== null) contenders.push(processes.baselines.get(baselineName)!);
      contenders.push(...processes.contenders.slice(1));
      log(`\n== ${scenario.name}: seeding through the app`);
      const seed = await scenario.seed({
        appUrl: app.httpUrl,
        databaseUrl: processes.databaseUrl,
        jwtSecret: processes.jwtSecret,
        log,
      });
      const runOptions = (seconds: number, warmUp: boolean): RunOptions => ({
        seconds,
        connections: options.connections,
        warmUp,
        log,
      });
      for (const contender of contenders) {
        log(`   warming ${contender.name} (${options.warmSeconds} s)`);
        await scenario.run(contender, seed, runOptions(options.warmSeconds, true));
      }
      const runs: Record<string, RunResult[]> = Object.fromEntries(contenders.map((c) => [c.name, []]));
      for (let round = 1; round <= options.rounds; round++) {
        for (const contender of contenders) {
          const result = await scenario.run(contender, seed, runOptions(options.seconds, false));
          runs[contender.name].push(result);
          const brief = result.figures
            .slice(0, 4)
            .map((f) => `${f.name} ${formatNumber(f.value)}`)
            .join(', ');
          log(`   round ${round} ${contender.name}: ${brief}`);
        }
      }
      const targets = scenario.targets.map((target) => ({
        scenario: scenario.name,
        name: target.name,
        ...target.check(runs),
      }));
      const outcome: ScenarioOutcome = {
        name: scenario.name,
        description: scenario.description,
        baseline: baselineName,
        contenders: contenders.map((c) => c.name),
        runs,
        targets,
      };
      outcomes.push(outcome);
      log(
        `\n${scenario.name}${scenario.description ? `: ${scenario.description}` : ''} (median of ${options.rounds} rounds)`,
      );
      log(consoleTable(scenarioTable(outcome.contenders, runs)));
      for (const t of targets)
        log(`   ${t.met ? 'MET    ' : 'NOT MET'} ${t.name}: ${formatNumber(t.value)} (${t.required})`);
    }
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await stopping();
  }
  return {
    startedAt,
    finishedAt: new Date().toISOString(),
    command: options.command,
    label: options.label,
    machine: machine(),
    commit,
    options: {
      seconds: options.seconds,
      warmSeconds: options.warmSeconds,
      rounds: options.rounds,
      connections: options.connections,
      before: options.before,
    },
    scenarios: outcomes,
  };
}

export function allTargetsMet(report: BenchReport): boolean {
  return report.scenarios.every((s) => s.targets.every((t) => t.met));
}

/** bench/results/<timestamp>.json and bench/results/latest.json (gitignored). */
export function writeJson(root: string, report: BenchReport): string {
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const text = `${JSON.stringify(report, null, 2)}\n`;
  const file = join(dir, `${report.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, text);
  writeFileSync(join(dir, 'latest.json'), text);
  return file;
}

export function chartOf(report: BenchReport): string {
  const panels: ChartPanel[] = report.scenarios.map((scenario) => ({
    title: scenario.name,
    series: scenario.contenders.flatMap((contender) =>
      Object.entries(medianCurves(scenario.runs[contender] ?? [])).map(([label, curve]) => ({
        contender,
        label,
        curve,
      })),
    ),
  }));
  const m = report.machine;
  return latencyChart(
    panels.filter((p) => p.series.length > 0),
    [
      // The label, if any, is in the command.
      `${report.command} · ${report.startedAt.slice(0, 16)}Z · commit ${report.commit}`,
      `${m.cores} cores (${m.cpu}), node ${m.node} · each curve: per percentile, the median of ${report.options.rounds} rounds of ${report.options.seconds} s`,
    ],
  );
}

export function writeChart(root: string, report: BenchReport): string {
  const dir = join(root, 'docs', 'bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'latency.svg');
  writeFileSync(file, chartOf(report));
  return file;
}

/** The section of docs/BENCHMARKS.md: how it was run, on what, the tables and the targets. */
export function docsSection(report: BenchReport): string {
  const m = report.machine;
  const o = report.options;
  const lines: string[] = [
    `Written by \`${report.command}\` on ${report.startedAt.slice(0, 16).replace('T', ' ')} UTC, commit ${report.commit}` +
      (report.label ? ` (**${report.label}**)` : '') +
      '.',
    '',
    `Machine: ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, ${m.platform}, node ${m.node}. The load generator ` +
      '(autocannon, in the bench process), the servers and PostgreSQL share it.',
    '',
    `Each scenario: seeded through the app's API, every contender warmed for ${o.warmSeconds} s, then ${o.rounds} ` +
      `measured rounds of ${o.seconds} s alternating the contenders (A B A B), ${o.connections} connections; each ` +
      'figure is the median over the rounds. `app` is the production build (`node dist/src/main.js`, LOG_LEVEL warn, ' +
      'the bench environment of bench/perf/contenders.ts), `baseline` the raw server of bench/baseline/ on the same ' +
      'database (one embedded PostgreSQL, fsync off)' +
      (o.before ? `, \`app@${o.before}\` that commit's build, started on the same database` : '') +
      '. Raw figures: `bench/results/latest.json`.',
    '',
  ];
  for (const scenario of report.scenarios) {
    lines.push(`### ${scenario.name}`, '');
    if (scenario.description) lines.push(`${scenario.description}.`, '');
    lines.push(markdownTable(scenarioTable(scenario.contenders, scenario.runs)), '');
    for (const t of scenario.targets) {
      lines.push(`- ${t.met ? '**met**' : '**not met**'}: ${t.name}: ${formatNumber(t.value)} (${t.required})`);
    }
    if (scenario.targets.length > 0) lines.push('');
  }
  lines.push(
    'How the figures come about: the baseline (`bench/baseline/rest-server.ts`) does the same work per request as ' +
      'the app (JWT check, live session and membership, the list with its members and items; for writes the row, ' +
      'the seq bump, the event append and the NOTIFY in one transaction) in one SQL statement, and ' +
      '`npm run bench:check-baseline` checks that it answers what the app answers. The app keeps its production ' +
      'argon2 cost and hashing queue; the bench lifts only what its load would trip: the sign-up and sign-in ' +
      'limits per address (every request comes from 127.0.0.1), the failed sign-ins per account ' +
      '(LOGIN_MAX_FAILURES, or login-flood would be refused with 429 before hashing) and the items per list ' +
      '(MAX_ITEMS_PER_LIST, rest-write adds one item per two requests). login-flood runs against the app only: ' +
      'whether hashing keeps off the loop that serves reads is a question about the app; its quiet phase, in ' +
      "the same run, is the reference (and rest-read's baseline p99 the absolute one). Ratios matter, not " +
      'absolute figures: the load generator, the servers and PostgreSQL share the machine. `floor` (no target) ' +
      "is `GET /health` on both: the CPU a request costs the app's HTTP stack alone (Express, Nest's guards, " +
      'pipes and interceptors, helmet, CORS, the request log, the ETag), paid by every REST request before its ' +
      "own work; compare its server CPU per request with the baseline's whole `GET /lists/:id`.",
    '',
    '![Latency distributions, app vs baseline per scenario](bench/latency.svg)',
    '',
    '`npm run bench -- --help` lists the flags (`--only`, `--seconds`, `--rounds`, `--before <git-ref>`…).',
  );
  return lines.join('\n');
}

export function writeDocs(report: BenchReport): void {
  writeBenchmarkSection(DOCS_HEADING, docsSection(report));
}

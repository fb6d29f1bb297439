/**
 * `npm run bench:simulate`: a day of traffic for 100,000 households (bench/simulate-day-model.ts),
 * a weekday and a weekend day, at the per-request costs measured on this machine when their JSON
 * files are there, else at the figures documented in issue 12:
 * - bench/results/latest.json (`npm run bench`): the app's `rest-read` and `rest-write` req/s
 *   (median of the app's runs) and the idle-socket memory (`idle-memory`, KiB per socket);
 *   fallback 250 GET/s and 179 writes/s per 2-core instance, 4.4 KiB per idle socket;
 * - bench/results/pg-capacity.json (`npm run bench:pg`): the database's commit rate for item
 *   writes (event + NOTIFY), one list's rate, the GET statements' rate, max_connections;
 *   fallback: the dev-run figures recorded in docs/SCALING.md.
 *
 * Prints the peaks, the instances needed, the database's load and what saturates first; writes
 * bench/results/simulate-day.json. Seeded (`--seed=N`, default 12): the same inputs print the
 * same figures. `--households=N` changes the population.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Costs, DayKind, DEFAULT_BEHAVIOUR, plan, simulateDay } from './simulate-day-model';

/* eslint-disable no-console */

const ROOT = resolve(__dirname, '..', '..', '..');
const RESULTS = join(ROOT, 'bench', 'results');

const arg = (name: string): string | undefined =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

/** A number from a JSON file, or the fallback, with where it came from. */
interface Input {
  value: number;
  source: string;
}

function readJson(file: string): unknown {
  const path = join(RESULTS, file);
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch {
    return null;
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor((sorted.length - 1) / 2)];
};

/** The app's median figure of a scenario in latest.json (harness format), read defensively. */
function fromBench(report: unknown, scenario: string, unit: string, name?: string): number | null {
  const scenarios = (report as { scenarios?: unknown })?.scenarios;
  if (!Array.isArray(scenarios)) return null;
  const found = scenarios.find((s: { name?: unknown }) => s?.name === scenario) as
    { runs?: Record<string, { figures?: { name?: string; unit?: string; value?: number }[] }[]> } | undefined;
  const runs = found?.runs?.app;
  if (!Array.isArray(runs)) return null;
  const values = runs
    .map((run) => run?.figures?.find((f) => f?.unit === unit && (name === undefined || f?.name === name))?.value)
    .filter((v): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0);
  return values.length > 0 ? median(values) : null;
}

function pick(value: number | null | undefined, source: string, fallback: number, fallbackSource: string): Input {
  return typeof value === 'number' && Number.isFinite(value) && value > 0
    ? { value, source }
    : { value: fallback, source: fallbackSource };
}

/** Every cost with its source (measured file or documented figure). */
function loadCosts(): Record<keyof Costs, Input> {
  const bench = readJson('latest.json');
  const pg = readJson('pg-capacity.json') as {
    summary?: { writesPerSec?: number; oneListWritesPerSec?: number; readsPerSec?: number };
    connections?: { usableConnections?: number; perInstance?: number };
    label?: string;
  } | null;
  const pgSource = `bench/results/pg-capacity.json (${pg?.label ?? 'unlabelled'})`;
  const issue = 'issue 12 table (2-core machine, app and database on it)';
  const devRun = 'docs/SCALING.md dev run (shared machine)';
  return {
    appReadsPerSec: pick(fromBench(bench, 'rest-read', 'req/s'), 'bench/results/latest.json rest-read', 250, issue),
    appWritesPerSec: pick(fromBench(bench, 'rest-write', 'req/s'), 'bench/results/latest.json rest-write', 179, issue),
    targetUtilisation: { value: 0.7, source: 'assumption: 30% headroom at the peak minute' },
    socketKiB: pick(fromBench(bench, 'idle-memory', 'KiB'), 'bench/results/latest.json idle-memory', 4.4, issue),
    socketMemoryMiB: { value: 512, source: 'assumption: half of a 1 GiB instance for sockets' },
    dbWritesPerSec: pick(pg?.summary?.writesPerSec, pgSource, 350, devRun),
    dbOneListWritesPerSec: pick(pg?.summary?.oneListWritesPerSec, pgSource, 62, devRun),
    dbReadsPerSec: pick(pg?.summary?.readsPerSec, pgSource, 490, devRun),
    dbConnections: pick(
      pg?.connections?.usableConnections,
      pgSource,
      97,
      'PostgreSQL default max_connections 100 − 3 reserved',
    ),
    connectionsPerInstance: pick(pg?.connections?.perInstance, pgSource, 11, 'DB_POOL_SIZE 10 + 1 LISTEN'),
  };
}

const fmt = (n: number, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '∞';
const clock = (seconds: number) =>
  `${String(Math.floor(seconds / 3600)).padStart(2, '0')}:${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}`;

function main(): void {
  const seed = Number(arg('seed') ?? 12);
  const households = Number(arg('households') ?? DEFAULT_BEHAVIOUR.households);
  const behaviour = { ...DEFAULT_BEHAVIOUR, households };
  const inputs = loadCosts();
  const costs = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, v.value])) as unknown as Costs;

  console.log(`A day of CartSync for ${fmt(households)} households (seed ${seed})\n\nCosts:`);
  for (const [name, input] of Object.entries(inputs))
    console.log(`  ${name.padEnd(24)} ${fmt(input.value, 2).padStart(9)}  ${input.source}`);

  const days = (['weekday', 'weekend'] as DayKind[]).map((day) => {
    const started = process.hrtime.bigint();
    const peaks = simulateDay(behaviour, day, seed);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    return { day, peaks, plan: plan(peaks, costs, households), simulatedInMs: Math.round(ms) };
  });

  const rows: [string, (d: (typeof days)[number]) => string][] = [
    ['requests per day', (d) => fmt(d.peaks.requestsPerDay)],
    ['writes per day', (d) => fmt(d.peaks.writesPerDay)],
    ['busiest minute starts', (d) => clock(d.peaks.peakMinuteStart)],
    ['peak requests/s (minute)', (d) => fmt(d.peaks.requestsPerSecPeakMinute, 1)],
    ['peak requests/s (second)', (d) => fmt(d.peaks.requestsPerSecPeakSecond)],
    ['peak writes/s (minute)', (d) => fmt(d.peaks.writesPerSecPeakMinute, 1)],
    ['peak writes/s (second)', (d) => fmt(d.peaks.writesPerSecPeakSecond)],
    ['peak concurrent sockets', (d) => fmt(d.peaks.concurrentSocketsPeak)],
    [
      'instances needed',
      (d) => `${d.plan.instances} (cpu ${d.plan.instancesForCpu}, sockets ${d.plan.instancesForSockets})`,
    ],
    ['database connections', (d) => `${fmt(d.plan.connections)} of ${fmt(costs.dbConnections)}`],
    [
      'db writes/s vs capacity',
      (d) =>
        `${fmt(d.peaks.writesPerSecPeakMinute, 1)} / ${fmt(costs.dbWritesPerSec)} (${fmt((d.peaks.writesPerSecPeakMinute / costs.dbWritesPerSec) * 100)}%)`,
    ],
    ...(['db commits', 'db connections'].map((name) => [
      `${name} used`,
      (d: (typeof days)[number]) => `${fmt((d.plan.database.find((r) => r.name === name)?.utilisation ?? NaN) * 100)}%`,
    ]) as [string, (d: (typeof days)[number]) => string][]),
    [
      'busiest list vs one list',
      (d) => `${fmt(d.peaks.busiestListWritesPerSec)}/s of ${fmt(costs.dbOneListWritesPerSec)}/s`,
    ],
    ['saturates first', (d) => d.plan.saturatesFirst.name],
    ['households per instance', (d) => fmt(d.plan.householdsPerInstance)],
    ['households per database', (d) => fmt(d.plan.householdsPerDatabase)],
    ['simulated in', (d) => `${d.simulatedInMs} ms`],
  ];
  console.log('');
  console.log(`${''.padEnd(28)}${days.map((d) => d.day.padStart(28)).join('')}`);
  for (const [label, value] of rows)
    console.log(`${label.padEnd(28)}${days.map((d) => value(d).padStart(28)).join('')}`);

  const worst = days.reduce((a, b) => (b.plan.database[0].utilisation > a.plan.database[0].utilisation ? b : a));
  console.log(
    `\nBusiest day: ${worst.day}. One database carries about ${fmt(worst.plan.householdsPerDatabase)} households ` +
      `(${worst.plan.saturatesFirst.name} saturates first); one instance about ${fmt(worst.plan.householdsPerInstance)}.`,
  );

  mkdirSync(RESULTS, { recursive: true });
  const out = join(RESULTS, 'simulate-day.json');
  writeFileSync(out, `${JSON.stringify({ kind: 'simulate-day', seed, behaviour, costs: inputs, days }, null, 2)}\n`);
  console.log(`Wrote ${out}`);
}

main();

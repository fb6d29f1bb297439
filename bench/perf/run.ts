/**
 * `npm run bench [-- flags]`: the performance envelope of issue 12, every scenario measured
 * beside its raw baseline in the same run (bench/perf/harness.ts). Exits 1 when a target is not
 * met, 2 on a usage error.
 */
import { join, resolve } from 'node:path';
import { allTargetsMet, runBench, writeChart, writeDocs, writeJson } from './harness';
import type { Scenario } from './scenario';
import { fanOut } from './scenarios/fan-out';
import { idleMemory } from './scenarios/idle-memory';
import { loginFlood } from './scenarios/login-flood';
import { replay } from './scenarios/replay';
import { floor } from './scenarios/floor';
import { restRead } from './scenarios/rest-read';
import { restWrite } from './scenarios/rest-write';

/**
 * Every scenario, in the order they run; adding one is one line here (and its import). The
 * socket scenarios have their own baseline (bench/baseline/ws-server.ts); tsconfig.bench.json
 * compiles everything under bench/perf and bench/baseline.
 */
const SCENARIOS: Scenario<never>[] = [
  floor,
  restRead,
  restWrite,
  loginFlood,
  fanOut,
  replay,
  idleMemory,
] as Scenario<never>[];

const HELP = `npm run bench -- [flags]
  --only a,b          run only these scenarios (${SCENARIOS.map((s) => s.name).join(', ')})
  --seconds N         seconds of load per measured run (default 10)
  --warm N            seconds of warm-up per contender and scenario (default 3)
  --rounds N          measured runs per contender, alternated A B A B (default 2, at least 2)
  --connections N     load connections (default 50)
  --before <git-ref>  also measure that commit's build as contender app@<ref> (built in a temp git worktree)
  --label "text"      a note shown with the figures (e.g. "dev run, machine shared")
  --no-docs           do not rewrite docs/BENCHMARKS.md and docs/bench/latency.svg (JSON only)
  --list              list the scenarios and exit`;

function usage(message: string): never {
  process.stderr.write(`${message}\n\n${HELP}\n`);
  process.exit(2);
}

function positiveInt(flag: string, value: string | undefined, min = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) usage(`${flag} needs an integer ≥ ${min}`);
  return n;
}

export function parseArgs(argv: string[]) {
  const parsed = {
    only: undefined as string[] | undefined,
    seconds: 10,
    warmSeconds: 3,
    rounds: 2,
    connections: 50,
    before: undefined as string | undefined,
    label: undefined as string | undefined,
    docs: true,
    list: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) usage(`${flag} needs a value`);
      return next;
    };
    if (flag === '--help' || flag === '-h') {
      process.stdout.write(`${HELP}\n`);
      process.exit(0);
    } else if (flag === '--only') parsed.only = value().split(',').filter(Boolean);
    else if (flag === '--seconds') parsed.seconds = positiveInt(flag, value());
    else if (flag === '--warm') parsed.warmSeconds = positiveInt(flag, value());
    else if (flag === '--rounds') parsed.rounds = positiveInt(flag, value(), 2);
    else if (flag === '--connections') parsed.connections = positiveInt(flag, value());
    else if (flag === '--before') parsed.before = value();
    else if (flag === '--label') parsed.label = value();
    else if (flag === '--no-docs') parsed.docs = false;
    else if (flag === '--list') parsed.list = true;
    else usage(`unknown flag ${flag}`);
  }
  return parsed;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const args = parseArgs(argv);
  if (args.list) {
    for (const s of SCENARIOS) process.stdout.write(`${s.name}${s.description ? `: ${s.description}` : ''}\n`);
    return;
  }
  const unknown = (args.only ?? []).filter((name) => !SCENARIOS.some((s) => s.name === name));
  if (unknown.length > 0) usage(`unknown scenario ${unknown.join(', ')}`);
  const scenarios = args.only ? SCENARIOS.filter((s) => args.only!.includes(s.name)) : SCENARIOS;
  // npm runs scripts from the package root; the compiled baselines sit beside this file's directory.
  const root = process.cwd();
  const report = await runBench(scenarios, {
    root,
    baselineDir: resolve(__dirname, '..', 'baseline'),
    seconds: args.seconds,
    warmSeconds: args.warmSeconds,
    rounds: args.rounds,
    connections: args.connections,
    before: args.before,
    docs: args.docs,
    label: args.label,
    command: ['npm run bench', ...(argv.length > 0 ? ['--', ...argv.map(quote)] : [])].join(' '),
  });
  const json = writeJson(root, report);
  process.stdout.write(`\nJSON: ${json} (and bench/results/latest.json)\n`);
  if (args.docs) {
    process.stdout.write(`chart: ${writeChart(root, report)}\n`);
    writeDocs(report);
    process.stdout.write(`docs: ${join(root, 'docs', 'BENCHMARKS.md')}\n`);
  }
  const met = allTargetsMet(report);
  process.stdout.write(met ? 'all targets met\n' : 'TARGETS NOT MET\n');
  process.exitCode = met ? 0 : 1;
}

function quote(arg: string): string {
  return /^[\w@./,:=-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

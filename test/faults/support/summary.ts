import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Rule, Violation } from './checker';

export const LAST_RUN = join(__dirname, '..', 'last-run.json');

export interface ScenarioSummary {
  name: string;
  title: string;
  passed: boolean;
  durationMs: number;
  /** HTTP attempts (retries included) and the operations they served. */
  requests: number;
  operations: number;
  writesAcknowledged: number;
  retries: number;
  /** Answers by status ("none": no answer). */
  statuses: Record<string, number>;
  sockets: number;
  /** Durable frames received, all sockets. */
  frames: number;
  /** Socket connections opened after each socket's first. */
  reconnects: number;
  handshakesRefused: number;
  resyncs: number;
  /** Each fault injected, with how long its window lasted. */
  faults: string[];
  finalSeq: number;
  /** Acknowledged writes missing from the database (must be 0). */
  lost: number;
  duplicates: number;
  abandoned: number;
  violations: number;
  byRule: Partial<Record<Rule, number>>;
  firstViolation?: Pick<Violation, 'rule' | 'message' | 'entry'>;
  logs?: string;
}

export interface RunSummary {
  runId: string;
  startedAt: string;
  node: string;
  database: string;
  scenarios: Record<string, ScenarioSummary>;
}

export function readRun(): RunSummary | null {
  try {
    return JSON.parse(readFileSync(LAST_RUN, 'utf8')) as RunSummary;
  } catch {
    return null;
  }
}

/** Adds one scenario's figures to `test/faults/last-run.json` (a new run starts the file afresh). */
export function recordScenario(summary: ScenarioSummary): void {
  const runId = process.env.FAULTS_RUN_ID ?? 'unknown';
  const previous = readRun();
  const run: RunSummary =
    previous?.runId === runId
      ? previous
      : {
          runId,
          startedAt: process.env.FAULTS_STARTED_AT ?? new Date().toISOString(),
          node: process.version,
          database: process.env.FAULTS_DATABASE ?? 'unknown',
          scenarios: {},
        };
  run.scenarios[summary.name] = summary;
  writeFileSync(LAST_RUN, `${JSON.stringify(run, null, 2)}\n`);
}

export function scenarioLine(s: ScenarioSummary): string {
  const verdict = s.passed
    ? 'PASS'
    : `FAIL (${Object.entries(s.byRule)
        .map(([rule, n]) => `${rule} ${n}`)
        .join(', ')})`;
  return (
    `${s.name}: ${verdict} — ${s.requests} requests (${s.operations} operations, ${s.writesAcknowledged} writes acknowledged, ` +
    `${s.retries} retries), ${s.frames} frames, ${s.reconnects} reconnects, ${s.faults.length} faults, ` +
    `lost ${s.lost}, duplicates ${s.duplicates}, abandoned ${s.abandoned}, final seq ${s.finalSeq}, ${(s.durationMs / 1000).toFixed(1)} s`
  );
}

export function summaryTable(run: RunSummary): string {
  const lines = [`Fault suite ${run.startedAt} (node ${run.node}, database: ${run.database})`];
  for (const s of Object.values(run.scenarios)) lines.push(`  ${scenarioLine(s)}`);
  return lines.join('\n');
}

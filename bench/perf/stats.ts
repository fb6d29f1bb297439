/**
 * The pure arithmetic of `npm run bench`: medians over rounds, ratios, percentile curves from
 * samples, the targets' checks and the markdown/console tables. No I/O here.
 */
import type { Figure, LatencyCurve, RunResult, Target } from './scenario';

/** The median of the values (the mean of the middle two for an even count); NaN for none. */
export function median(values: number[]): number {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length === 0) return NaN;
  const middle = Math.floor(finite.length / 2);
  return finite.length % 2 === 1 ? finite[middle] : (finite[middle - 1] + finite[middle]) / 2;
}

/** a / b; NaN when either is missing or b is 0. */
export function ratio(a: number, b: number): number {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return NaN;
  return a / b;
}

/** The value at percentile p (0–100) of the samples, nearest rank; NaN for none. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** The percentiles the chart draws (its x axis runs from p0 to p99.99). */
export const CURVE_PERCENTILES = [0, 10, 25, 50, 75, 90, 97.5, 99, 99.9, 99.99];

export function curveFromSamples(samples: number[]): LatencyCurve {
  const sorted = [...samples].sort((a, b) => a - b);
  return CURVE_PERCENTILES.map((p) => [p, p === 0 ? sorted[0] : percentile(sorted, p)]);
}

/** A run's curves by label: its own `curves`, else one ('') made from its samples. */
export function curvesOf(run: RunResult): Record<string, LatencyCurve> {
  if (run.curves) return run.curves;
  if (run.latencies && run.latencies.length > 0) return { '': curveFromSamples(run.latencies) };
  return {};
}

/** The pointwise median of several runs' curves (the same percentiles in each), by label. */
export function medianCurves(runs: RunResult[]): Record<string, LatencyCurve> {
  const byLabel = new Map<string, LatencyCurve[]>();
  for (const run of runs) {
    for (const [label, curve] of Object.entries(curvesOf(run))) {
      byLabel.set(label, [...(byLabel.get(label) ?? []), curve]);
    }
  }
  const result: Record<string, LatencyCurve> = {};
  for (const [label, curves] of byLabel) {
    result[label] = curves[0].map(([p], index) => [p, median(curves.map((curve) => curve[index]?.[1] ?? NaN))]);
  }
  return result;
}

/** The named figure's value in each run (NaN where a run lacks it). */
export function figureValues(runs: RunResult[], name: string): number[] {
  return runs.map((run) => run.figures.find((f) => f.name === name)?.value ?? NaN);
}

/** The median over the runs of the named figure. */
export function medianFigure(runs: RunResult[] | undefined, name: string): number {
  return median(figureValues(runs ?? [], name));
}

/** Figures named in the order they first appear in the runs, with their unit and direction. */
export function figureNames(runs: RunResult[]): Figure[] {
  const seen = new Map<string, Figure>();
  for (const run of runs) for (const figure of run.figures) if (!seen.has(figure.name)) seen.set(figure.name, figure);
  return [...seen.values()];
}

/**
 * A target on the ratio app / baseline of a figure's medians: `atLeast` (throughput) or
 * `atMost` (latency). The contender judged is 'app' (a run's `app@<ref>` is shown, not judged).
 */
export function ratioTarget(
  name: string,
  figure: string,
  bound: { atLeast: number } | { atMost: number },
  contender = 'app',
): Target {
  return {
    name,
    check(runs) {
      const value = ratio(medianFigure(runs[contender], figure), medianFigure(runs.baseline, figure));
      if ('atLeast' in bound) return { value, required: `≥ ${bound.atLeast}`, met: value >= bound.atLeast };
      return { value, required: `≤ ${bound.atMost}`, met: value <= bound.atMost };
    },
  };
}

/** A number as the tables print it: 3 significant digits below 100, integers above. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '—';
  const abs = Math.abs(value);
  if (abs >= 100) return Math.round(value).toLocaleString('en-US');
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(2);
}

export interface ScenarioTable {
  header: string[];
  rows: string[][];
}

/**
 * One row per figure: the median over rounds for each contender, then app / baseline and, when
 * an older build ran, app / app@<ref> (the change the current build made).
 */
export function scenarioTable(contenders: string[], runs: Record<string, RunResult[]>): ScenarioTable {
  const figures = figureNames(contenders.flatMap((c) => runs[c] ?? []));
  const hasBaseline = contenders.includes('baseline');
  const before = contenders.find((c) => c.startsWith('app@'));
  const header = ['figure', ...contenders];
  if (hasBaseline) header.push('app / baseline');
  if (before) header.push(`app / ${before}`);
  const rows = figures.map((figure) => {
    const medians = contenders.map((c) => medianFigure(runs[c], figure.name));
    const row = [
      figure.name === figure.unit ? figure.name : `${figure.name} (${figure.unit})`,
      ...medians.map(formatNumber),
    ];
    const app = medianFigure(runs.app, figure.name);
    if (hasBaseline) row.push(formatRatio(ratio(app, medianFigure(runs.baseline, figure.name))));
    if (before) row.push(formatRatio(ratio(app, medianFigure(runs[before], figure.name))));
    return row;
  });
  return { header, rows };
}

export function formatRatio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : '—';
}

export function markdownTable(table: ScenarioTable): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(table.header), line(table.header.map(() => '---')), ...table.rows.map(line)].join('\n');
}

/** Columns padded for the terminal. */
export function consoleTable(table: ScenarioTable): string {
  const all = [table.header, ...table.rows];
  const widths = table.header.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i])).join('  ');
  return [line(table.header), widths.map((w) => '-'.repeat(w)).join('  '), ...table.rows.map(line)].join('\n');
}

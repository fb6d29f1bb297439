/**
 * The load of the REST scenarios: autocannon (HDR histograms, keep-alive connections, no
 * pipelining) in the harness's process, and the figures every REST scenario reports from it.
 */
import autocannon from 'autocannon';
import { cpuMark, cpuPerAnswer } from './cpu';
import type { Figure, LatencyCurve } from './scenario';

export type LoadOptions = autocannon.Options;
export type LoadResult = autocannon.Result;

export function load(options: LoadOptions): Promise<LoadResult> {
  return autocannon({ pipelining: 1, timeout: 30, ...options });
}

/**
 * A load on one server process, with the CPU it and PostgreSQL spent per 2xx answer (figures
 * 'server CPU/req' and 'postgres CPU/req'): on a machine whose cores the load generator, the
 * server and the database share, they say which one a throughput gap comes from.
 */
export async function loadMeasured(pid: number, options: LoadOptions): Promise<{ result: LoadResult; cpu: Figure[] }> {
  const start = cpuMark(pid);
  const result = await load(options);
  const per = cpuPerAnswer(pid, start, result['2xx']);
  return {
    result,
    cpu: [
      { name: 'server CPU/req', unit: 'ms', value: per.server, lowerIsBetter: true },
      { name: 'postgres CPU/req', unit: 'ms', value: per.postgres, lowerIsBetter: true },
    ],
  };
}

/** autocannon's HDR percentiles as a chart curve (p0 is the minimum, the last the p99.99). */
export function curveOf(result: LoadResult): LatencyCurve {
  const l = result.latency as unknown as Record<string, number>;
  const points: [number, string][] = [
    [0, 'min'],
    [10, 'p10'],
    [25, 'p25'],
    [50, 'p50'],
    [75, 'p75'],
    [90, 'p90'],
    [97.5, 'p97_5'],
    [99, 'p99'],
    [99.9, 'p99_9'],
    [99.99, 'p99_99'],
  ];
  return points.filter(([, key]) => typeof l[key] === 'number').map(([p, key]) => [p, l[key]]);
}

/** req/s (2xx answers per second of the run), p50, p99, max; errors and non-2xx answers beside them. */
export function loadFigures(result: LoadResult, prefix = ''): Figure[] {
  const ok = result['2xx'];
  return [
    { name: `${prefix}req/s`, unit: 'req/s', value: ok / result.duration, lowerIsBetter: false },
    { name: `${prefix}p50`, unit: 'ms', value: result.latency.p50, lowerIsBetter: true },
    { name: `${prefix}p99`, unit: 'ms', value: result.latency.p99, lowerIsBetter: true },
    { name: `${prefix}max`, unit: 'ms', value: result.latency.max, lowerIsBetter: true },
    { name: `${prefix}non-2xx`, unit: 'count', value: result.non2xx, lowerIsBetter: true },
    { name: `${prefix}errors`, unit: 'count', value: result.errors, lowerIsBetter: true },
  ];
}

/** A run whose answers were not all 2xx measured something else than the work: it is said loudly. */
export function warnUnlessClean(result: LoadResult, what: string, log: (line: string) => void): void {
  if (result.non2xx > 0 || result.errors > 0) {
    const codes = Object.entries(result.statusCodeStats ?? {})
      .map(([code, stats]) => `${code}×${stats.count ?? 0}`)
      .join(' ');
    log(`WARNING ${what}: ${result.non2xx} non-2xx answers, ${result.errors} errors (${codes})`);
  }
}

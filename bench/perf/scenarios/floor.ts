/**
 * Floor: `GET /health` (public, no database), the app beside the baseline answering the same
 * `{"status":"ok"}`. No target: it measures what a request costs the app's HTTP stack alone
 * (Express, Nest's guards, pipes and interceptors, helmet, CORS, the request log, the ETag),
 * which every REST request pays before its own work; the REST scenarios' ratios are read
 * against it (server CPU per request here vs the baseline's whole `GET /lists/:id`).
 */
import { curveOf, loadFigures, loadMeasured, warnUnlessClean } from '../load';
import type { Contender, RunOptions, Scenario } from '../scenario';

export const floor: Scenario<null> = {
  name: 'floor',
  description: 'GET /health (no database), autocannon: the HTTP stack alone',
  seed: () => Promise.resolve(null),
  async run(contender: Contender, _seed: null, options?: RunOptions) {
    const { result, cpu } = await loadMeasured(contender.pid, {
      url: `${contender.httpUrl}/health`,
      connections: options?.connections ?? 50,
      duration: options?.seconds ?? 10,
    });
    if (options && !options.warmUp) warnUnlessClean(result, `floor ${contender.name}`, options.log);
    return { figures: [...loadFigures(result), ...cpu], curves: { '': curveOf(result) } };
  },
  targets: [],
};

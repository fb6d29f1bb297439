/**
 * REST read: `GET /lists/:id` of a list of 40 items and 3 members, each request by one of the
 * three members in turn (their own tokens), 50 keep-alive connections (--connections),
 * autocannon for --seconds. Reports req/s (2xx answers per second), p50, p99 and max.
 */
import { Api } from '../../http-client';
import { curveOf, loadFigures, loadMeasured, warnUnlessClean } from '../load';
import { ratioTarget } from '../stats';
import type { Contender, RunOptions, Scenario } from '../scenario';
import { household, Household } from '../seed';

export const READ_SIZES = { members: 3, items: 40 };

/** One GET after another, the members' tokens in turn. */
export function readRequest(home: Household) {
  let turn = 0;
  return {
    method: 'GET' as const,
    path: `/lists/${home.listId}`,
    setupRequest: (request: { headers?: Record<string, string | string[] | undefined> }) => {
      request.headers = { authorization: `Bearer ${home.tokens[turn++ % home.tokens.length]}` };
      return request;
    },
  };
}

export const restRead: Scenario<Household> = {
  name: 'rest-read',
  description: `GET /lists/:id, ${READ_SIZES.items} items, ${READ_SIZES.members} members, autocannon`,
  seed: async (context) => household(new Api(context.appUrl), 'read', READ_SIZES),
  async run(contender: Contender, home: Household, options?: RunOptions) {
    const { result, cpu } = await loadMeasured(contender.pid, {
      url: contender.httpUrl,
      connections: options?.connections ?? 50,
      duration: options?.seconds ?? 10,
      requests: [readRequest(home)],
    });
    if (options && !options.warmUp) warnUnlessClean(result, `rest-read ${contender.name}`, options.log);
    return { figures: [...loadFigures(result), ...cpu], curves: { '': curveOf(result) } };
  },
  targets: [
    ratioTarget('REST read throughput ≥ 0.6× baseline', 'req/s', { atLeast: 0.6 }),
    ratioTarget('REST read p99 ≤ 1.5× baseline', 'p99', { atMost: 1.5 }),
  ],
};

/**
 * REST write: the write mix of a shopping trip, add an item then check it, over and over, on
 * 50 keep-alive connections (--connections) spread over 10 lists (5 writers per list, each
 * list's writes ordered by its row lock as in use). Each add is `POST /lists/:id/items` by the
 * list's owner; the check that follows is `PATCH /lists/:id/items/<the added id> {checked:
 * true}`, so every request writes (an add, or a check of an unchecked item): row insert or
 * update, event-log append, NOTIFY. Reports req/s (2xx answers per second, adds and checks
 * together), p50, p99, max.
 */
import { Api } from '../../http-client';
import { curveOf, loadFigures, loadMeasured, warnUnlessClean } from '../load';
import { ratioTarget } from '../stats';
import type { Contender, RunOptions, Scenario } from '../scenario';
import { household, Household, inParallel } from '../seed';

const LISTS = 10;

interface WriteContext {
  listId?: string;
  token?: string;
  itemId?: string;
}

export const restWrite: Scenario<Household[]> = {
  name: 'rest-write',
  description: `add item + check it, alternating, ${LISTS} lists, autocannon`,
  seed: async (context) => {
    const api = new Api(context.appUrl);
    return inParallel(
      Array.from({ length: LISTS }, (_, i) => () => household(api, `write${i}`, { members: 1, items: 5 })),
      4,
    );
  },
  async run(contender: Contender, homes: Household[], options?: RunOptions) {
    let turn = 0;
    let added = 0;
    const { result, cpu } = await loadMeasured(contender.pid, {
      url: contender.httpUrl,
      connections: options?.connections ?? 50,
      duration: options?.seconds ?? 10,
      requests: [
        {
          method: 'POST',
          setupRequest: (request, context: WriteContext) => {
            const home = homes[turn++ % homes.length];
            context.listId = home.listId;
            context.token = home.tokens[0];
            context.itemId = undefined;
            request.path = `/lists/${home.listId}/items`;
            request.headers = { authorization: `Bearer ${home.tokens[0]}`, 'content-type': 'application/json' };
            request.body = JSON.stringify({ name: `Bench item ${++added}`, quantity: 2, unit: 'pcs' });
            return request;
          },
          onResponse: (status, body, context: WriteContext) => {
            if (status === 201) context.itemId = (JSON.parse(body) as { id: string }).id;
          },
        },
        {
          method: 'PATCH',
          // No item added (an error answer): start over with an add.
          setupRequest: (request, context: WriteContext) => {
            if (!context.itemId) return undefined as unknown as typeof request;
            request.path = `/lists/${context.listId}/items/${context.itemId}`;
            request.headers = { authorization: `Bearer ${context.token}`, 'content-type': 'application/json' };
            request.body = '{"checked":true}';
            return request;
          },
        },
      ],
    });
    if (options && !options.warmUp) warnUnlessClean(result, `rest-write ${contender.name}`, options.log);
    return { figures: [...loadFigures(result), ...cpu], curves: { '': curveOf(result) } };
  },
  targets: [ratioTarget('REST write throughput ≥ 0.5× baseline', 'req/s', { atLeast: 0.5 })],
};

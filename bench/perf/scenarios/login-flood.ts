/**
 * Login flood isolation: the p99 of `GET /lists/:id` (the rest-read list and load) while 50
 * wrong-password sign-ins are in flight at all times (autocannon, 50 connections of
 * `POST /auth/login` to 10 seeded accounts in turn), beside the same GET load without the
 * flood, in the same run: each run is a quiet phase then a flood phase of --seconds each.
 *
 * App only (no baseline): the question is whether the app's password hashing (argon2id at its
 * production cost, a bounded queue answering 503 + Retry-After when full) keeps off the event
 * loop that serves everyone else, which only the app can answer; a raw server has no sign-in
 * to flood. The quiet phase is the reference, and rest-read's baseline p99 in the same bench
 * run the absolute one. After each flood the run waits until the hasher has room again (the
 * queued sign-ins would otherwise spill into the next quiet phase). The bench's app keeps the production argon2 costs and queue for this
 * reason; the per-account failure limit is lifted (LOGIN_MAX_FAILURES), or the flood would be
 * refused with 429 before any hash after 10 attempts and measure nothing.
 */
import { Api } from '../../http-client';
import { curveOf, load, loadFigures, warnUnlessClean } from '../load';
import { ratio } from '../stats';
import type { Contender, Figure, RunOptions, Scenario } from '../scenario';
import { household, Household, inParallel, register } from '../seed';
import { READ_SIZES, readRequest } from './rest-read';

const FLOOD_CONNECTIONS = 50;
const ACCOUNTS = 10;

interface FloodSeed {
  home: Household;
  emails: string[];
}

/**
 * The flood's sign-ins still queued when autocannon stops are hashed afterwards: the next quiet
 * phase (or the next scenario) would measure their tail. Waits until a wrong password is
 * answered 401 (the hasher had room again), then one second more.
 */
async function settle(url: string, email: string): Promise<void> {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  for (let attempt = 0; attempt < 60; attempt++) {
    const response = await fetch(`${url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'wrong-password-42' }),
    });
    await response.arrayBuffer();
    if (response.status === 401) break;
    await sleep(500);
  }
  await sleep(1000);
}

export const loginFlood: Scenario<FloodSeed> = {
  name: 'login-flood',
  description: `GET /lists/:id p99 without and with ${FLOOD_CONNECTIONS} wrong-password sign-ins in flight (app only)`,
  baseline: null,
  seed: async (context) => {
    const api = new Api(context.appUrl);
    const home = await household(api, 'flood', READ_SIZES);
    const accounts = await inParallel(
      Array.from({ length: ACCOUNTS }, (_, i) => () => register(api, `flood${i}`)),
      2,
    );
    return { home, emails: accounts.map((a) => a.user.email) };
  },
  async run(contender: Contender, seed: FloodSeed, options?: RunOptions) {
    const seconds = options?.seconds ?? 10;
    const connections = options?.connections ?? 50;
    const read = () =>
      load({ url: contender.httpUrl, connections, duration: seconds, requests: [readRequest(seed.home)] });
    const quiet = await read();
    let turn = 0;
    const [flooded, flood] = await Promise.all([
      read(),
      load({
        url: contender.httpUrl,
        connections: FLOOD_CONNECTIONS,
        duration: seconds,
        requests: [
          {
            method: 'POST',
            path: '/auth/login',
            setupRequest: (request) => {
              request.headers = { 'content-type': 'application/json' };
              request.body = JSON.stringify({
                email: seed.emails[turn++ % seed.emails.length],
                password: 'wrong-password-42',
              });
              return request;
            },
          },
        ],
      }),
    ]);
    await settle(contender.httpUrl, seed.emails[0]);
    if (options && !options.warmUp) {
      warnUnlessClean(quiet, `login-flood ${contender.name} quiet GET`, options.log);
      warnUnlessClean(flooded, `login-flood ${contender.name} flooded GET`, options.log);
    }
    const codes = flood.statusCodeStats ?? {};
    const count = (code: string) => (codes as Record<string, { count?: number }>)[code]?.count ?? 0;
    const pick = (figures: Figure[], names: string[]) => figures.filter((f) => names.some((n) => f.name.endsWith(n)));
    const figures: Figure[] = [
      ...pick(loadFigures(quiet, 'quiet '), ['req/s', 'p50', 'p99', 'max']),
      ...pick(loadFigures(flooded, 'flood '), ['req/s', 'p50', 'p99', 'max', 'non-2xx']),
      {
        name: 'flood p99 / quiet p99',
        unit: '×',
        value: ratio(flooded.latency.p99, quiet.latency.p99),
        lowerIsBetter: true,
      },
      {
        name: 'logins answered/s',
        unit: 'req/s',
        value: (flood['2xx'] + flood.non2xx) / flood.duration,
        lowerIsBetter: false,
      },
      { name: 'login p50', unit: 'ms', value: flood.latency.p50, lowerIsBetter: true },
      { name: 'login p99', unit: 'ms', value: flood.latency.p99, lowerIsBetter: true },
      { name: 'logins 401/s', unit: 'req/s', value: count('401') / flood.duration, lowerIsBetter: false },
      { name: 'logins 503/s (hasher full)', unit: 'req/s', value: count('503') / flood.duration, lowerIsBetter: false },
      { name: 'logins 429/s', unit: 'req/s', value: count('429') / flood.duration, lowerIsBetter: true },
    ];
    return { figures, curves: { quiet: curveOf(quiet), flood: curveOf(flooded) } };
  },
  targets: [],
};

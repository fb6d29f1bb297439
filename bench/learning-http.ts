/**
 * `npm run bench:learning`, through the API: the simulator and seeds of bench/learning.ts, but
 * the learning is done by a running server, driven over HTTP as the app drives it.
 *
 * Walking order: each store × household run is one user (and a partner who joins with the
 * invite code when a trip is split) with their own list and store. A trip adds the list's items
 * (`POST /lists/:id/items`), checks them in the order and at the times the simulated phones did
 * (`PATCH …/items/:id {checked: true, checkedAt}`, each shopper with their own token), posts the
 * app's order when the simulated app does (`POST …/stores/:id/order`) and completes the trip
 * (`POST /lists/:id/trips {storeId, completedAt}`); the simulated history lies in the past,
 * two days between trips. After 1, 2, 3, 5, 8, 12 trips and 1..6 trips after 3 aisles moved,
 * `GET /lists/:id/stores` gives `learnedOrder`; the order the app shows (by `learnedOrder`,
 * products without a position last) is scored by Kendall tau against the true layout, and
 * coverage is the share of the products checked in the store that have a position. Beside it:
 * the pure `learnTrip` and the old server's running mean, fed the same trips locally.
 *
 * Suggestions: the households of the pure benchmark (true repurchase intervals), their trips
 * replayed through the API with `completedAt` over the simulated days, so that the evaluation
 * point is the server's now; `GET /lists/:id/suggestions` (the due products already on the list
 * added first) against the products truly due: precision@5, beside the pure `suggest` on the
 * same purchases.
 *
 * Starts its own server (dist/src/main.js, an ephemeral database) unless BENCH_URL is given
 * (that server needs the throttles lifted as in BENCH_SERVER_ENV). Sizes: BENCH_HTTP_STORES,
 * BENCH_HTTP_HOUSEHOLDS (per store), BENCH_HTTP_SUGGESTION_HOUSEHOLDS, BENCH_HTTP_CONCURRENCY;
 * BENCH_HTTP_DEBUG=1 prints every checked product the server gives no position, with its checks.
 * Writes its section of docs/BENCHMARKS.md and exits non-zero when a target is missed.
 */
import { writeBenchmarkSection } from './benchmarks-file';
import { baselineRank, DEFAULT_RANK_OPTIONS, rankWalkingOrder } from '../src/stores/walking-order';
import { baselineMostFrequent, baselineMostRecent, Purchase, suggest } from '../src/suggestions/repurchase';
import { Api, requestCount, RunningServer, startServer } from './http-client';
import {
  AFTER_CHANGE,
  CHECKPOINTS,
  DAY_MS,
  drawList,
  EVAL_LISTS,
  Household,
  INTERVALS,
  kendallTau,
  Learner,
  makeHousehold,
  makeStore,
  mean,
  moveAisles,
  MOVED_AISLES,
  randomName,
  Rng,
  SEED,
  shownOrder,
  simulateTrip,
  Store,
  truePositions,
} from './learning';

function sizeFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

/** Sized for ~3 minutes on a shared 2-core machine; the env variables scale it. */
const SIZES = {
  stores: sizeFromEnv('BENCH_HTTP_STORES', 4),
  householdsPerStore: sizeFromEnv('BENCH_HTTP_HOUSEHOLDS', 5),
  suggestionHouseholds: sizeFromEnv('BENCH_HTTP_SUGGESTION_HOUSEHOLDS', 36),
  /** Suggestions are evaluated at the first evaluation point of the pure benchmark on or after this day. */
  suggestionDay: sizeFromEnv('BENCH_HTTP_SUGGESTION_DAY', 100),
  concurrency: sizeFromEnv('BENCH_HTTP_CONCURRENCY', 12),
};

const TRIP_SPACING_MS = 2 * DAY_MS;
const PASSWORD = 'bench-password-0123456789';

// ---------------------------------------------------------------------------------------
// API shapes (CONTRACT.md part A)

interface AuthResponse {
  token: string;
  user: { id: string };
  listIds: string[];
}
interface ListResponse {
  id: string;
  inviteCode: string;
}
interface ItemResponse {
  id: string;
  name: string;
}
interface StoreResponse {
  id: string;
  tripCount: number;
  learnedOrder: Record<string, number>;
}
interface SuggestionResponse {
  name: string;
}

let userSeq = 0;

async function register(api: Api, label: string): Promise<AuthResponse> {
  userSeq++;
  return api.post<AuthResponse>('/auth/register', undefined, {
    email: `bench-${process.pid}-${userSeq}-${label}@bench.example.com`,
    password: PASSWORD,
    name: `Bench ${label}`,
  });
}

async function pool(tasks: (() => Promise<void>)[], concurrency: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const task = tasks[next++];
      await task();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker));
}

// ---------------------------------------------------------------------------------------
// Walking order

interface WalkScore {
  /** Tau over the products the server or the old mean can place (as the pure benchmark's "tau"). */
  api: number;
  /** Tau over the whole list, as the app shows it (products without a position last). */
  apiAll: number;
  pure: number;
  pureAll: number;
  baseline: number;
  baselineAll: number;
  /** Share of the products checked in this store's trips that have a position. */
  coverageApi: number;
  coveragePure: number;
  /** Across runs (meanWalk): the lowest coverage of one run. */
  coverageApiMin: number;
  coveragePureMin: number;
  tripCount: number;
}

class WalkRun {
  private owner!: AuthResponse;
  private listId!: string;
  private storeId!: string;
  private readonly tokens = new Map<string, string>();
  private readonly checked = new Set<string>();
  private readonly learner = new Learner();
  /** The trips sent, for BENCH_HTTP_DEBUG (why a checked product has no position). */
  private readonly history: { checks: { key: string; shopper: string; at: number }[]; posted?: string[] }[] = [];

  constructor(
    private readonly api: Api,
    private readonly label: string,
    private readonly template: Store,
    private readonly runRng: Rng,
    private readonly evalRng: Rng,
    private readonly endOfHistory: number,
    private readonly totalTrips: number,
  ) {}

  async run(checkpoints: WalkScore[][], afterChange: WalkScore[][]): Promise<void> {
    this.owner = await register(this.api, `${this.label}-a`);
    this.listId = this.owner.listIds[0];
    // The simulator's first shopper ('u1', whose order the app posts) is the list's owner.
    this.tokens.set('u1', this.owner.token);
    const store = await this.api.post<StoreResponse>(`/lists/${this.listId}/stores`, this.owner.token, {
      name: 'Bench store',
    });
    this.storeId = store.id;
    const shop: Store = { ...this.template, aisleOrder: [...this.template.aisleOrder] };
    const household = makeHousehold(this.runRng, shop);
    let truth = truePositions(shop);
    let tripNumber = 0;
    const lastCheckpoint = CHECKPOINTS[CHECKPOINTS.length - 1];
    for (let trip = 1; trip <= lastCheckpoint; trip++) {
      await this.trip(++tripNumber, household, truth);
      const checkpoint = CHECKPOINTS.indexOf(trip);
      if (checkpoint >= 0) checkpoints[checkpoint].push(await this.evaluate(household, truth));
    }
    // The pure benchmark measures one odd trip here on a copy, drawing EVAL_LISTS + 1 lists.
    for (let i = 0; i <= EVAL_LISTS; i++) drawList(this.evalRng, household);
    moveAisles(this.runRng, shop, MOVED_AISLES);
    truth = truePositions(shop);
    for (let trip = 1; trip <= AFTER_CHANGE; trip++) {
      await this.trip(++tripNumber, household, truth);
      afterChange[trip - 1].push(await this.evaluate(household, truth));
    }
  }

  private explainMissing(missing: string[]): void {
    describeMissing(this.label, missing, this.history);
  }

  private async tokenOf(shopper: string): Promise<string> {
    const known = this.tokens.get(shopper);
    if (known) return known;
    // A partner: their own account, joined with the list's invite code.
    const partner = await register(this.api, `${this.label}-${shopper}`);
    const list = await this.api.get<ListResponse>(`/lists/${this.listId}`, this.owner.token);
    await this.api.post(`/lists/join`, partner.token, { inviteCode: list.inviteCode });
    this.tokens.set(shopper, partner.token);
    return partner.token;
  }

  private async trip(number: number, household: Household, truth: Map<string, number>): Promise<void> {
    const simulated = simulateTrip(this.runRng, drawList(this.runRng, household), truth);
    this.learner.learn(simulated);
    const checks = [...simulated.checks].sort((x, y) => x.at - y.at);
    this.history.push({ checks, posted: simulated.posted });
    if (checks.length === 0) return;
    // The simulated phone clock, moved so that this trip starts (number) trips before the end.
    const shift = this.endOfHistory - (this.totalTrips - number + 1) * TRIP_SPACING_MS - checks[0].at;
    const iso = (at: number) => new Date(at + shift).toISOString();
    const ids = new Map<string, string>();
    for (const check of checks) {
      if (ids.has(check.key)) continue;
      const item = await this.api.post<ItemResponse>(`/lists/${this.listId}/items`, this.owner.token, {
        name: check.key,
        quantity: 1,
        unit: '×',
      });
      ids.set(check.key, item.id);
    }
    for (const check of checks) {
      const token = await this.tokenOf(check.shopper);
      await this.api.patch(`/lists/${this.listId}/items/${ids.get(check.key)}`, token, {
        checked: true,
        checkedAt: iso(check.at),
      });
      this.checked.add(check.key);
    }
    if (simulated.posted) {
      await this.api.post(`/lists/${this.listId}/stores/${this.storeId}/order`, this.owner.token, {
        order: simulated.posted,
      });
    }
    await this.api.post(`/lists/${this.listId}/trips`, this.owner.token, {
      storeId: this.storeId,
      completedAt: iso(checks[checks.length - 1].at + 60_000),
    });
  }

  private async evaluate(household: Household, truth: Map<string, number>): Promise<WalkScore> {
    const stores = await this.api.get<StoreResponse[]>(`/lists/${this.listId}/stores`, this.owner.token);
    const store = stores.find((candidate) => candidate.id === this.storeId)!;
    const server = new Map(Object.entries(store.learnedOrder));
    const lists = Array.from({ length: EVAL_LISTS }, () => drawList(this.evalRng, household));
    const scores = lists.map((list) => {
      const pureScore = this.learner.evaluate(list, truth);
      const baselinePositions = baselineRank(list, this.learner.baseline);
      const known = list.filter((name) => server.has(name) || baselinePositions.has(name));
      return {
        api: kendallTau(shownOrder(known, server), truth),
        apiAll: kendallTau(shownOrder(list, server), truth),
        pure: pureScore.ours,
        pureAll: pureScore.oursAll,
        baseline: pureScore.baseline,
        baselineAll: pureScore.baselineAll,
      };
    });
    const checked = [...this.checked];
    if (process.env.BENCH_HTTP_DEBUG) this.explainMissing(checked.filter((name) => !server.has(name)));
    const pureRanked = rankWalkingOrder(checked, [...this.learner.pairs.values()], DEFAULT_RANK_OPTIONS);
    return {
      api: mean(scores.map((score) => score.api)),
      apiAll: mean(scores.map((score) => score.apiAll)),
      pure: mean(scores.map((score) => score.pure)),
      pureAll: mean(scores.map((score) => score.pureAll)),
      baseline: mean(scores.map((score) => score.baseline)),
      baselineAll: mean(scores.map((score) => score.baselineAll)),
      coverageApi: checked.filter((name) => server.has(name)).length / Math.max(1, checked.length),
      coveragePure: checked.filter((name) => pureRanked.has(name)).length / Math.max(1, checked.length),
      coverageApiMin: NaN,
      coveragePureMin: NaN,
      tripCount: store.tripCount,
    };
  }
}

/** BENCH_HTTP_DEBUG: every check of a product the server gives no position, with the gaps around it. */
function describeMissing(
  label: string,
  missing: string[],
  history: { checks: { key: string; shopper: string; at: number }[]; posted?: string[] }[],
): void {
  for (const name of missing) {
    const seen = history.flatMap((trip, t) => {
      const check = trip.checks.findIndex((candidate) => candidate.key === name);
      if (check < 0) return [];
      const mine = trip.checks.filter((candidate) => candidate.shopper === trip.checks[check].shopper);
      const i = mine.findIndex((candidate) => candidate.key === name);
      const gap = (j: number) =>
        j >= 0 && j < mine.length ? `${Math.round(Math.abs(mine[j].at - mine[i].at))}ms` : '-';
      return [
        `trip ${t + 1}: ${trip.checks[check].shopper} ${i + 1}/${mine.length}, gaps ${gap(i - 1)}/${gap(i + 1)}, ` +
          `${trip.posted ? (trip.posted.includes(name) ? 'posted' : 'not in posted') : 'no post'}`,
      ];
    });
    process.stderr.write(
      `[debug] ${label} ${name} has no position after ${history.length} trips: ${seen.join('; ')}\n`,
    );
  }
}

function meanWalk(scores: WalkScore[]): WalkScore {
  const of = (key: keyof WalkScore) => mean(scores.map((score) => score[key]));
  return {
    api: of('api'),
    apiAll: of('apiAll'),
    pure: of('pure'),
    pureAll: of('pureAll'),
    baseline: of('baseline'),
    baselineAll: of('baselineAll'),
    coverageApi: of('coverageApi'),
    coveragePure: of('coveragePure'),
    coverageApiMin: Math.min(...scores.map((score) => score.coverageApi)),
    coveragePureMin: Math.min(...scores.map((score) => score.coveragePure)),
    tripCount: of('tripCount'),
  };
}

/** The runs of the pure benchmark (same seed, same order of draws), the first households of the first stores. */
function walkRuns(api: Api, endOfHistory: number, checkpoints: WalkScore[][], afterChange: WalkScore[][]) {
  const rng = new Rng(SEED);
  const used = new Set<string>();
  const tasks: (() => Promise<void>)[] = [];
  const totalTrips = CHECKPOINTS[CHECKPOINTS.length - 1] + AFTER_CHANGE;
  for (let s = 0; s < SIZES.stores; s++) {
    const storeRng = rng.fork();
    const template = makeStore(storeRng, used);
    for (let h = 0; h < SIZES.householdsPerStore; h++) {
      const runRng = storeRng.fork();
      const evalRng = storeRng.fork();
      const run = new WalkRun(api, `s${s}h${h}`, template, runRng, evalRng, endOfHistory, totalTrips);
      tasks.push(() => run.run(checkpoints, afterChange));
    }
  }
  return tasks;
}

// ---------------------------------------------------------------------------------------
// Suggestions

interface SuggestionPoint {
  at: number;
  onList: Set<string>;
  target: Set<string>;
  purchases: Purchase[];
}

/**
 * One household of the pure benchmark's suggestion simulation (bench/learning.ts
 * benchSuggestions, the same draws in the same order), with its evaluation points.
 */
function simulateSuggestionHousehold(household: Rng): SuggestionPoint[] {
  const used = new Set<string>();
  const origin = Date.UTC(2026, 0, 5);
  const products = Array.from({ length: 35 }, () => {
    const interval = household.pick(INTERVALS);
    return {
      key: randomName(household, used),
      interval,
      next: origin + household.uniform(0, interval) * DAY_MS,
      droppedAt: household.chance(0.1) ? origin + household.uniform(20, 100) * DAY_MS : Infinity,
    };
  });
  const oneOffPool = Array.from({ length: 150 }, () => randomName(household, used));
  const purchases: Purchase[] = [];
  const points: (SuggestionPoint & { day: number })[] = [];
  let day = 0;
  let trip = 0;
  while (day < 150) {
    day += household.int(2, 5);
    const now = origin + day * DAY_MS + household.uniform(8, 19) * 3_600_000;
    const due = products.filter((product) => product.next <= now && product.droppedAt > now);
    if (day >= 70 && trip % 3 === 0 && due.length > 0) {
      const onList = new Set(due.filter(() => household.chance(0.4)).map((product) => product.key));
      for (let i = 0; i < 2; i++) onList.add(household.pick(products).key);
      const target = new Set(due.map((product) => product.key).filter((key) => !onList.has(key)));
      if (target.size > 0) points.push({ day, at: now, onList, target, purchases: [...purchases] });
    }
    trip++;
    const tripId = `t${trip}`;
    const bought = [...due.map((product) => product.key)];
    for (const product of due) {
      const jitter = Math.max(0.4, 1 + household.normal(0, 0.15));
      product.next = now + Math.max(1, product.interval * jitter) * DAY_MS;
    }
    const oneOffs = household.int(0, 2);
    for (let i = 0; i < oneOffs; i++) bought.push(household.pick(oneOffPool));
    for (const key of new Set(bought)) purchases.push({ key, name: key, unit: 'x', at: new Date(now), tripId });
    if (household.chance(0.08) && bought.length > 0) {
      const later = new Date(now + household.uniform(1, 3) * 3_600_000);
      const again = household.shuffle([...bought]).slice(0, household.int(1, 2));
      for (const key of again) purchases.push({ key, name: key, unit: 'x', at: later, tripId: `${tripId}b` });
    }
  }
  const chosen = points.find((point) => point.day >= SIZES.suggestionDay) ?? points[points.length - 1];
  return chosen ? [chosen] : [];
}

interface SuggestionScore {
  api: number;
  pure: number;
  mostFrequent: number;
  mostRecent: number;
  trips: number;
}

async function suggestionHousehold(api: Api, label: string, point: SuggestionPoint, scores: SuggestionScore[]) {
  const user = await register(api, label);
  const listId = user.listIds[0];
  // The evaluation point becomes (about) the server's now: the history lies behind it.
  const shift = Date.now() - 3 * 60_000 - point.at;
  const trips = new Map<string, Purchase[]>();
  for (const purchase of point.purchases) {
    const trip = trips.get(purchase.tripId) ?? [];
    trip.push(purchase);
    trips.set(purchase.tripId, trip);
  }
  const ordered = [...trips.values()].sort((x, y) => x[0].at.getTime() - y[0].at.getTime());
  for (const bought of ordered) {
    const at = bought[0].at.getTime() + shift;
    const ids: string[] = [];
    for (const purchase of bought) {
      const item = await api.post<ItemResponse>(`/lists/${listId}/items`, user.token, {
        name: purchase.name,
        quantity: 1,
        unit: '×',
      });
      ids.push(item.id);
    }
    for (const [i, id] of ids.entries()) {
      await api.patch(`/lists/${listId}/items/${id}`, user.token, {
        checked: true,
        checkedAt: new Date(at - 20 * 60_000 + i * 30_000).toISOString(),
      });
    }
    await api.post(`/lists/${listId}/trips`, user.token, { completedAt: new Date(at).toISOString() });
  }
  for (const name of point.onList) {
    await api.post(`/lists/${listId}/items`, user.token, { name, quantity: 1, unit: '×' });
  }
  const suggestions = await api.get<SuggestionResponse[]>(`/lists/${listId}/suggestions`, user.token);
  const precision = (keys: string[]) =>
    keys.slice(0, 5).filter((key) => point.target.has(key)).length / Math.min(5, point.target.size);
  const at = new Date(point.at);
  scores.push({
    api: precision(suggestions.map((suggestion) => suggestion.name)),
    pure: precision(suggest(point.purchases, point.onList, at, 5).map((suggestion) => suggestion.key)),
    mostFrequent: precision(baselineMostFrequent(point.purchases, point.onList, 5)),
    mostRecent: precision(baselineMostRecent(point.purchases, point.onList, 5)),
    trips: ordered.length,
  });
}

function suggestionTasks(api: Api, scores: SuggestionScore[]): (() => Promise<void>)[] {
  const rng = new Rng(SEED + 1);
  const tasks: (() => Promise<void>)[] = [];
  for (let h = 0; h < SIZES.suggestionHouseholds; h++) {
    for (const point of simulateSuggestionHousehold(rng.fork())) {
      tasks.push(() => suggestionHousehold(api, `g${h}`, point, scores));
    }
  }
  return tasks;
}

// ---------------------------------------------------------------------------------------
// Report

const HEADING = '## Learning quality through the API (npm run bench:learning)';

function f(value: number): string {
  return value.toFixed(3);
}

function pct(value: number): string {
  return `${Math.round(value * 100)}%`;
}

interface Target {
  name: string;
  value: number;
  required: string;
  met: boolean;
}

async function main(): Promise<void> {
  const started = Date.now();
  const log = (line: string) => process.stderr.write(`[server] ${line}\n`);
  let server: RunningServer | null = null;
  const external = process.env.BENCH_URL;
  if (!external) {
    process.stderr.write('Starting a server (dist/src/main.js) with a throwaway database…\n');
    server = await startServer(process.cwd(), log);
  }
  const baseUrl = (external ?? server!.url).replace(/\/$/, '');
  const api = new Api(baseUrl);
  const runs = SIZES.stores * SIZES.householdsPerStore;
  process.stderr.write(
    `Driving ${baseUrl}: ${runs} walking-order runs (${SIZES.stores} stores × ${SIZES.householdsPerStore} households, ` +
      `${CHECKPOINTS[CHECKPOINTS.length - 1] + AFTER_CHANGE} trips each), ${SIZES.suggestionHouseholds} suggestion ` +
      `households, ${SIZES.concurrency} in flight\n`,
  );
  const checkpointScores: WalkScore[][] = CHECKPOINTS.map(() => []);
  const changeScores: WalkScore[][] = Array.from({ length: AFTER_CHANGE }, () => []);
  const suggestionScores: SuggestionScore[] = [];
  const setupStarted = Date.now();
  try {
    // Suggestion households first: their history is laid out behind the server's now of the moment.
    await pool(
      [
        ...suggestionTasks(api, suggestionScores),
        ...walkRuns(api, Date.now() - 10 * 60_000, checkpointScores, changeScores),
      ],
      SIZES.concurrency,
    );
  } finally {
    await server?.stop();
  }
  const driveSeconds = (Date.now() - setupStarted) / 1000;

  const checkpoints = CHECKPOINTS.map((trips, i) => ({ trips, ...meanWalk(checkpointScores[i]) }));
  const afterChange = changeScores.map((scores, i) => ({ trips: i + 1, ...meanWalk(scores) }));
  const at = (trips: number) => checkpoints.find((checkpoint) => checkpoint.trips === trips)!;
  const changed = afterChange[AFTER_CHANGE - 1];
  const coverage = Math.min(...[...checkpoints, ...afterChange].map((row) => row.coverageApiMin));
  const suggestion = {
    api: mean(suggestionScores.map((score) => score.api)),
    pure: mean(suggestionScores.map((score) => score.pure)),
    mostFrequent: mean(suggestionScores.map((score) => score.mostFrequent)),
    mostRecent: mean(suggestionScores.map((score) => score.mostRecent)),
    trips: mean(suggestionScores.map((score) => score.trips)),
  };
  const targets: Target[] = [
    { name: 'API: tau after 5 trips', value: at(5).api, required: '≥ 0.85', met: at(5).api >= 0.85 },
    { name: 'API: tau after 12 trips', value: at(12).api, required: '≥ 0.90', met: at(12).api >= 0.9 },
    {
      name: `API: tau ${AFTER_CHANGE} trips after ${MOVED_AISLES} aisles moved`,
      value: changed.api,
      required: '≥ 0.75',
      met: changed.api >= 0.75,
    },
    {
      name: 'API: coverage of the checked products (lowest run, every checkpoint)',
      value: coverage,
      required: '= 1.0',
      met: coverage >= 1,
    },
    { name: 'API: suggestions precision@5', value: suggestion.api, required: '≥ 0.85', met: suggestion.api >= 0.85 },
  ];

  const lines: string[] = [];
  lines.push(
    `Command: \`npm run bench:learning\` (this part: \`npm run bench:learning:http\`) · run on ` +
      `${new Date().toISOString().slice(0, 10)} · seed ${SEED} (deterministic simulation) · node ${process.version} · ` +
      `${requestCount.value} HTTP requests in ${driveSeconds.toFixed(0)} s, ${SIZES.concurrency} households in flight, ` +
      `against ${external ? 'BENCH_URL' : 'the production build (dist/src/main.js) with a throwaway embedded PostgreSQL'}`,
  );
  lines.push('');
  lines.push('### Walking order through the API');
  lines.push('');
  lines.push(
    `${runs} store × household runs of the pure benchmark's simulation (the first ${SIZES.householdsPerStore} ` +
      `households of the first ${SIZES.stores} stores, same seed, same trips), each one user with their own list ` +
      `and store (a partner registers and joins with the invite code when a trip is split). Every trip goes through ` +
      `the API as the app sends it: \`POST …/items\`, \`PATCH …/items/:id {checked: true, checkedAt}\` in the ` +
      `phones' order and times (each shopper with their own token), \`POST …/stores/:id/order\` when the app posted ` +
      `one (${pct(0.6)} of trips), \`POST /lists/:id/trips {storeId, completedAt}\`; trips two simulated days apart, ` +
      `in the past. Then \`GET /lists/:id/stores\` → \`learnedOrder\`, scored on ${EVAL_LISTS} fresh lists per ` +
      `checkpoint. "API tau": over the products the server or the old mean can place (as the pure table's "tau"); ` +
      `"API (all)": the whole list as the app shows it (no position → last). "Pure": \`learnTrip\` fed the same ` +
      `trips locally. "Coverage": share of the products checked in the store's trips that \`learnedOrder\` holds ` +
      `(mean over the runs, the lowest run in brackets; the pure core: the products \`rankWalkingOrder\` places). "Old": the old server's running mean of the posted orders.`,
  );
  lines.push('');
  lines.push(
    '| After | API tau | Pure tau | Old tau | Target | API (all) | Pure (all) | Old (all) | API coverage | Pure coverage | tripCount |',
  );
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|');
  const row = (label: string, score: WalkScore, target: string) =>
    `| ${label} | ${f(score.api)} | ${f(score.pure)} | ${f(score.baseline)} | ${target} | ${f(score.apiAll)} | ` +
    `${f(score.pureAll)} | ${f(score.baselineAll)} | ${f(score.coverageApi)} (${f(score.coverageApiMin)}) | ` +
    `${f(score.coveragePure)} (${f(score.coveragePureMin)}) | ` +
    `${score.tripCount.toFixed(0)} |`;
  for (const checkpoint of checkpoints) {
    const target = checkpoint.trips === 5 ? '≥ 0.85' : checkpoint.trips === 12 ? '≥ 0.90' : '';
    lines.push(row(`${checkpoint.trips} trip${checkpoint.trips === 1 ? '' : 's'}`, checkpoint, target));
  }
  for (const change of afterChange) {
    const label = `${MOVED_AISLES} aisles moved + ${change.trips} trip${change.trips === 1 ? '' : 's'}`;
    lines.push(row(label, change, change.trips === AFTER_CHANGE ? '≥ 0.75' : ''));
  }
  lines.push('');
  lines.push('### Suggestions through the API');
  lines.push('');
  lines.push(
    `${suggestionScores.length} households of the pure benchmark's suggestion simulation (seed ${SEED + 1}), each ` +
      `evaluated once, at its first evaluation point on or after day ${SIZES.suggestionDay} (` +
      `${suggestion.trips.toFixed(1)} trips on average replayed through the API before it, with \`completedAt\` over ` +
      `the simulated days, the evaluation point being the server's now). The due products the user already put on the ` +
      `list are added, then \`GET /lists/:id/suggestions\`; precision@5 against the products truly due and not on ` +
      `the list (hits ÷ min(5, due)).`,
  );
  lines.push('');
  lines.push('| Method | precision@5 | Target |');
  lines.push('|---|---|---|');
  lines.push(`| API \`GET /lists/:id/suggestions\` | ${f(suggestion.api)} | ≥ 0.85 |`);
  lines.push(`| Pure \`suggest\`, same purchases | ${f(suggestion.pure)} | |`);
  lines.push(`| Most frequently bought | ${f(suggestion.mostFrequent)} | |`);
  lines.push(`| Most recently bought | ${f(suggestion.mostRecent)} | |`);
  lines.push('');
  lines.push('### Targets through the API');
  lines.push('');
  lines.push('| Target | Value | Required | Met |');
  lines.push('|---|---|---|---|');
  for (const target of targets) {
    lines.push(`| ${target.name} | ${f(target.value)} | ${target.required} | ${target.met ? 'yes' : '**NO**'} |`);
  }
  const body = lines.join('\n');
  process.stdout.write(`${body}\n\n(${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  writeBenchmarkSection(HEADING, body);
  const missed = targets.filter((target) => !target.met);
  if (missed.length > 0) {
    process.stderr.write(`Missed targets through the API: ${missed.map((target) => target.name).join('; ')}\n`);
    process.exitCode = 1;
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`bench:learning (API) failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}

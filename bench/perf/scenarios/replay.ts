/**
 * Replay: a socket that reconnects with `since` WS_REPLAY_EVENTS (1,000) events behind the
 * list's head (docs/REALTIME.md "Resuming without losing anything": the server first sends
 * every event after `since`, in order, then live ones). Measured: from the start of the
 * connect (`new WebSocket`) to the arrival of the frame whose `seq` is the head, i.e. the
 * handshake, the log read and the delivery of all 1,000 frames, WS_REPLAY_REPS (20) times per
 * run, one socket at a time. Each rep checks that exactly the 1,000 events arrived, in order.
 *
 * The raw read it is compared with: the baseline contender (bench/baseline/ws-server.ts)
 * serving the same `since` over the same kind of socket, with the same token, by ONE SELECT of
 * the same rows (`payload::text`, frames built by concatenation). Timing a bare `pg` query in
 * the bench process would leave out the handshake and the 1,000 socket writes both servers
 * must do, which no server can skip; the baseline keeps them and drops everything else. The
 * bare SELECT (same rows, `payload::text`, one pooled connection) is still reported with
 * each run as `SELECT only`, for scale.
 *
 * Seed: one user (their first list), WS_REPLAY_EVENTS + 10 events written through the app's
 * REST (items added, then checked: `item:added`/`item:updated` as the app's writes make them).
 *
 * Interface extensions used (bench/perf/scenario.ts, optional fields): `serverEnv` (the
 * handshake throttle lifted: the same session reconnects WS_REPLAY_REPS times a run) and
 * `baseline` ('bench/baseline/ws-server.ts'). The seed keeps `SeedContext.databaseUrl` for the
 * bare SELECT.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { Api } from '../../http-client';
import { Contender, RunResult, Scenario, SeedContext } from '../scenario';
import {
  closeAll,
  describeRefusals,
  isRefusal,
  openSocket,
  PASSWORD,
  figure,
  inParallel,
  median,
  quantile,
  round,
  sizeFromEnv,
  SOCKET_SERVER_ENV,
} from '../sockets';

export interface ReplaySeed {
  databaseUrl: string;
  listId: string;
  token: string;
  /** The list's seq after seeding: the last frame of every replay. */
  head: number;
  since: number;
}

function options() {
  return { events: sizeFromEnv('WS_REPLAY_EVENTS', 1000), reps: sizeFromEnv('WS_REPLAY_REPS', 20) };
}

/**
 * One replay: the ms from connect to the frame at `head`, and to the socket's open (the
 * handshake's share); throws when a frame is missing or out of order.
 */
async function replayOnce(contender: Contender, seed: ReplaySeed): Promise<{ total: number; open: number }> {
  let expected = seed.since + 1;
  let done!: (ms: number) => void;
  let fail!: (error: Error) => void;
  const finished = new Promise<number>((resolve, reject) => {
    done = resolve;
    fail = reject;
  });
  const started = performance.now();
  const socket = await openSocket(
    contender.wsUrl,
    seed.listId,
    `token=${encodeURIComponent(seed.token)}&since=${seed.since}`,
    (data) => {
      const text = data.toString('utf8');
      // Durable frames end with their seq (both servers write {type, payload, seq}); others are skipped unparsed.
      if (!text.includes('"seq":')) return;
      const { seq, type } = JSON.parse(text) as { seq?: number; type: string };
      if (type === 'resync') return fail(new Error(`${contender.name} answered resync to since=${seed.since}`));
      if (seq === undefined) return;
      if (seq !== expected) return fail(new Error(`${contender.name}: frame seq ${seq}, expected ${expected}`));
      if (seq === seed.head) done(performance.now() - started);
      expected++;
    },
  );
  const open = performance.now() - started;
  if (isRefusal(socket)) throw new Error(`replay socket refused: ${describeRefusals([socket])}`);
  const timeout = setTimeout(
    () => fail(new Error(`${contender.name}: replay not done in 30 s (at seq ${expected - 1})`)),
    30_000,
  );
  try {
    return { total: await finished, open };
  } finally {
    clearTimeout(timeout);
    await closeAll([socket]);
  }
}

export async function runReplay(contender: Contender, seed: ReplaySeed): Promise<RunResult> {
  const { reps } = options();
  const latencies: number[] = [];
  const opens: number[] = [];
  for (let i = 0; i < reps; i++) {
    const { total, open } = await replayOnce(contender, seed);
    latencies.push(total);
    opens.push(open);
  }
  opens.sort((a, b) => a - b);
  // The bare SELECT of the same rows, for scale (a connection of its own, warmed by one read).
  const client = new Client({ connectionString: seed.databaseUrl });
  await client.connect();
  const selects: number[] = [];
  try {
    for (let i = 0; i <= reps; i++) {
      const started = performance.now();
      const { rows } = await client.query({
        name: 'replay',
        text: `SELECT seq, type, actor_session, payload::text AS payload FROM list_events WHERE list_id = $1 AND seq > $2 ORDER BY seq`,
        values: [seed.listId, seed.since],
      });
      if (rows.length !== seed.head - seed.since) throw new Error(`SELECT read ${rows.length} rows`);
      if (i > 0) selects.push(performance.now() - started);
    }
  } finally {
    await client.end();
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  selects.sort((a, b) => a - b);
  return {
    figures: [
      { name: 'p50', unit: 'ms', value: round(quantile(sorted, 0.5)), lowerIsBetter: true },
      { name: 'p99', unit: 'ms', value: round(quantile(sorted, 0.99)), lowerIsBetter: true },
      { name: 'min', unit: 'ms', value: round(sorted[0]), lowerIsBetter: true },
      { name: 'events', unit: 'frames', value: seed.head - seed.since, lowerIsBetter: false },
      { name: 'handshake (to open) p50', unit: 'ms', value: round(quantile(opens, 0.5)), lowerIsBetter: true },
      { name: 'SELECT only p50', unit: 'ms', value: round(quantile(selects, 0.5)), lowerIsBetter: true },
    ],
    latencies,
  };
}

interface AuthResponse {
  token: string;
  listIds: string[];
}

export const replay: Scenario<ReplaySeed> = {
  name: 'replay',
  serverEnv: SOCKET_SERVER_ENV,
  baseline: 'bench/baseline/ws-server.ts',
  async seed(context: SeedContext): Promise<ReplaySeed> {
    const { events } = options();
    const api = new Api(context.appUrl);
    const started = Date.now();
    const { token, listIds } = await api.post<AuthResponse>('/auth/register', undefined, {
      email: `ws-replay-${randomUUID()}@bench.example.com`,
      password: PASSWORD,
      name: 'Bench replay',
    });
    const listId = listIds[0];
    // Half added, half checked (+10 so that `since` lies inside the log, not at its start).
    const adds = Math.ceil((events + 10) / 2);
    const ids = await inParallel(
      Array.from({ length: adds }, (_, i) => async () => {
        const id = randomUUID();
        await api.post(`/lists/${listId}/items`, token, { id, name: `replay ${i}`, quantity: 1, unit: '×' });
        return id;
      }),
      8,
    );
    await inParallel(
      ids
        .slice(0, events + 10 - adds)
        .map((id) => () => api.patch(`/lists/${listId}/items/${id}`, token, { checked: true })),
      8,
    );
    const { seq } = await api.get<{ seq: number }>(`/lists/${listId}`, token);
    context.log(`replay: seeded ${seq} events on one list in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return { databaseUrl: context.databaseUrl, listId, token, head: seq, since: seq - events };
  },
  run: runReplay,
  targets: [
    {
      name: 'replay of 1,000 events ≤ 2× the raw read (baseline p50)',
      check(runs) {
        const app = median((runs.app ?? []).map((r) => figure(r, 'p50')));
        const baseline = median((runs.baseline ?? []).map((r) => figure(r, 'p50')));
        const value = round(app / baseline, 2);
        return { value, required: '≤ 2', met: value <= 2 };
      },
    },
  ],
};

export default replay;

/**
 * Fan-out: 1,000 sockets (WS_FANOUT_SOCKETS, e.g. 10000) on households of 4 members × 5 devices
 * (one list each, 20 sockets a list: 50 lists for 1,000), each device its own session, opened
 * the way the existing app opens them (`/ws/lists/:id?token=`). Writes go through the app's REST
 * at WS_FANOUT_RATE (200) writes/s for WS_FANOUT_SECONDS (10), round-robin over the lists, each
 * list alternating "add an item" (`POST /lists/:id/items` with a client-generated id) and
 * "check the oldest unchecked item this run added" (`PATCH …/items/:id {checked: true}`), with
 * the token of the list's first device (its writer).
 *
 * Measured, for every write and every other socket of its list (the writer's own socket is
 * not sent back its session's item changes, by the contract): the time from the write's HTTP
 * answer to the frame's arrival (`item:added` / `item:updated` matched by the item id). A frame
 * may arrive before the answer (NOTIFY fires at commit, before the response is written): it
 * counts as 0 ms (and `p99 from the request`, from sending the write to the frame, is reported
 * beside it: it does not depend on when the answer happens to be written). Missing (not there WS_FANOUT_DRAIN_MS (5000) after the last answer) and
 * duplicate frames are counted per socket. The write rate actually achieved and the REST
 * answer time are reported beside them.
 *
 * Contenders: the sockets go to the contender's `wsUrl`; the REST writes ALWAYS go to the app
 * (`SeedContext.appUrl`, kept in the seed), since the baseline (bench/baseline/ws-server.ts)
 * replaces only the socket side: while the baseline is measured the app serves no socket, and
 * both read the same `list_events` rows on the same NOTIFY.
 *
 * Interface extensions used (bench/perf/scenario.ts, optional fields): `serverEnv` (socket
 * limits and the handshake throttle lifted for the bench server) and `baseline`
 * ('bench/baseline/ws-server.ts', the process the harness starts as this scenario's baseline).
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { Contender, RunResult, Scenario, SeedContext } from '../scenario';
import {
  closeAll,
  describeRefusals,
  Household,
  isRefusal,
  openSocket,
  figure,
  inParallel,
  median,
  quantile,
  round,
  seedHouseholds,
  SOCKETS_PER_LIST,
  HOUSEHOLD,
  sizeFromEnv,
  sleep,
  SOCKET_SERVER_ENV,
} from '../sockets';

export interface FanOutSeed {
  appUrl: string;
  households: Household[];
}

interface PendingWrite {
  household: number;
  /** performance.now() when the request was sent. */
  sentAt: number;
  /** performance.now() of the HTTP answer; NaN until answered. */
  answeredAt: number;
  failed: boolean;
  /** Per socket slot of the list: frames received, and when the first arrived. */
  counts: Uint8Array;
  arrivals: Float64Array;
}

function options() {
  const sockets = sizeFromEnv('WS_FANOUT_SOCKETS', 1000);
  return {
    lists: Math.max(1, Math.round(sockets / SOCKETS_PER_LIST)),
    rate: sizeFromEnv('WS_FANOUT_RATE', 200),
    seconds: sizeFromEnv('WS_FANOUT_SECONDS', 10),
    drainMs: sizeFromEnv('WS_FANOUT_DRAIN_MS', 5000),
    maxInFlight: sizeFromEnv('WS_FANOUT_MAX_IN_FLIGHT', 256),
    handshakes: sizeFromEnv('WS_HANDSHAKE_CONCURRENCY', 32),
  };
}

/** A keep-alive JSON request; resolves with the status (the body is read and dropped). */
async function send(url: string, method: string, token: string, body: unknown): Promise<number> {
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  await response.arrayBuffer();
  return response.status;
}

export async function runFanOut(contender: Contender, seed: FanOutSeed): Promise<RunResult> {
  const opts = options();
  const { households, appUrl } = seed;
  const writes = new Map<string, PendingWrite>();
  let duplicates = 0;
  let unmatched = 0;

  let lastFrameAt = performance.now();
  const onFrame = (household: number, slot: number) => (data: Buffer) => {
    const at = performance.now();
    lastFrameAt = at;
    const text = data.toString('utf8');
    // Only item frames are measured; presence and others are skipped without parsing.
    if (!text.startsWith('{"type":"item:')) return;
    const frame = JSON.parse(text) as { type: string; payload: { id: string; checked?: boolean } };
    const key =
      frame.type === 'item:added'
        ? `a:${frame.payload.id}`
        : frame.type === 'item:updated' && frame.payload.checked
          ? `c:${frame.payload.id}`
          : null;
    if (key === null) return;
    const write = writes.get(key);
    if (!write || write.household !== household) {
      unmatched++;
      return;
    }
    if (write.counts[slot]++ > 0) duplicates++;
    else write.arrivals[slot] = at;
  };

  // Connect every device of every household, a bounded number of handshakes at a time.
  const connectStarted = performance.now();
  const opened = await inParallel(
    households.flatMap((household, h) =>
      household.devices.map(
        (device, slot) => () =>
          openSocket(contender.wsUrl, household.listId, `token=${encodeURIComponent(device.token)}`, onFrame(h, slot)),
      ),
    ),
    opts.handshakes,
  );
  const connectMs = performance.now() - connectStarted;
  const refusals = opened.filter(isRefusal);
  const sockets = opened.filter((s): s is WebSocket => !isRefusal(s));
  if (refusals.length > 0) {
    await closeAll(sockets);
    throw new Error(`${refusals.length} of ${opened.length} sockets refused: ${describeRefusals(refusals)}`);
  }
  // Whether a socket of a household is open (the writer's slot 0 excluded from the expected receivers).
  const openSlot = (h: number, slot: number) => opened[h * SOCKETS_PER_LIST + slot] instanceof WebSocket;
  // Joins announce presence to every socket of the list, and the app replays to a session that
  // reconnects (no `since`) what it missed since its last proven receipt — here the writes of
  // the previous runs (docs/REALTIME.md "Reconnecting the app's way misses nothing"). Measuring
  // starts once that is over: 1 s at least, then 500 ms without any frame (at most 60 s).
  const settleUntil = performance.now() + 60_000;
  await sleep(1000);
  while (performance.now() - lastFrameAt < 500 && performance.now() < settleUntil) await sleep(50);
  const replayedAtConnect = unmatched;
  unmatched = 0;

  // Writes at a fixed rate (open loop, bounded in flight), round-robin over the lists. Only an
  // item whose add was answered is checked (a check racing its own add would be a 404).
  const unchecked: string[][] = households.map(() => []);
  const nextIsAdd: boolean[] = households.map(() => true);
  const restLatencies: number[] = [];
  let inFlight = 0;
  let issued = 0;
  let failed = 0;
  let skipped = 0;
  const total = opts.rate * opts.seconds;
  const started = performance.now();
  const answered: Promise<void>[] = [];

  const issue = (h: number) => {
    const household = households[h];
    const writer = household.devices[0];
    let key: string;
    let request: () => Promise<number>;
    let onAnswer: (ok: boolean) => unknown = () => undefined;
    if (nextIsAdd[h] || unchecked[h].length === 0) {
      const id = randomUUID();
      key = `a:${id}`;
      request = () =>
        send(`${appUrl}/lists/${household.listId}/items`, 'POST', writer.token, {
          id,
          name: `fan-out ${id.slice(0, 8)}`,
          quantity: 1,
          unit: '×',
        });
      onAnswer = (ok) => ok && unchecked[h].push(id);
    } else {
      const id = unchecked[h].shift()!;
      key = `c:${id}`;
      request = () => send(`${appUrl}/lists/${household.listId}/items/${id}`, 'PATCH', writer.token, { checked: true });
    }
    nextIsAdd[h] = !nextIsAdd[h];
    const write: PendingWrite = {
      household: h,
      sentAt: performance.now(),
      answeredAt: NaN,
      failed: false,
      counts: new Uint8Array(SOCKETS_PER_LIST),
      arrivals: new Float64Array(SOCKETS_PER_LIST),
    };
    writes.set(key, write);
    inFlight++;
    answered.push(
      request()
        .then(
          (status) => {
            write.answeredAt = performance.now();
            restLatencies.push(write.answeredAt - write.sentAt);
            if (status >= 300) {
              write.failed = true;
              failed++;
            }
            onAnswer(status < 300);
          },
          () => {
            write.failed = true;
            failed++;
          },
        )
        .finally(() => inFlight--),
    );
  };

  while (issued < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * opts.rate));
    while (issued < due) {
      if (inFlight >= opts.maxInFlight) {
        // Behind: this write is not sent (the achieved rate says so), the schedule goes on.
        skipped++;
      } else {
        issue(issued % households.length);
      }
      issued++;
    }
    await sleep(2);
  }
  await Promise.all(answered);
  const writeSeconds = (performance.now() - started) / 1000;

  // Wait for the frames still on their way, at most drainMs.
  const complete = () => {
    for (const write of writes.values()) {
      if (write.failed) continue;
      for (let slot = 1; slot < SOCKETS_PER_LIST; slot++) {
        if (openSlot(write.household, slot) && write.counts[slot] === 0) return false;
      }
    }
    return true;
  };
  const drainUntil = performance.now() + opts.drainMs;
  while (!complete() && performance.now() < drainUntil) await sleep(20);
  // A moment more for duplicates that would follow the last frame.
  await sleep(200);

  const latencies: number[] = [];
  const fromRequest: number[] = [];
  let missing = 0;
  let expected = 0;
  let beforeAnswer = 0;
  for (const write of writes.values()) {
    if (write.failed) continue;
    for (let slot = 1; slot < SOCKETS_PER_LIST; slot++) {
      if (!openSlot(write.household, slot)) continue;
      expected++;
      if (write.counts[slot] === 0) {
        missing++;
        continue;
      }
      const latency = write.arrivals[slot] - write.answeredAt;
      if (latency < 0) beforeAnswer++;
      latencies.push(Math.max(0, latency));
      fromRequest.push(write.arrivals[slot] - write.sentAt);
    }
  }
  // The writer's own socket must get no echo of its session's item changes.
  let echoes = 0;
  for (const write of writes.values()) echoes += write.counts[0];
  await closeAll(sockets);

  latencies.sort((a, b) => a - b);
  restLatencies.sort((a, b) => a - b);
  fromRequest.sort((a, b) => a - b);
  const sent = writes.size;
  return {
    figures: [
      { name: 'p50', unit: 'ms', value: round(quantile(latencies, 0.5)), lowerIsBetter: true },
      { name: 'p99', unit: 'ms', value: round(quantile(latencies, 0.99)), lowerIsBetter: true },
      { name: 'max', unit: 'ms', value: round(latencies[latencies.length - 1] ?? NaN), lowerIsBetter: true },
      { name: 'p99 from the request', unit: 'ms', value: round(quantile(fromRequest, 0.99)), lowerIsBetter: true },
      { name: 'missing', unit: 'frames', value: missing, lowerIsBetter: true },
      { name: 'duplicate', unit: 'frames', value: duplicates, lowerIsBetter: true },
      { name: 'echoed to the writer', unit: 'frames', value: echoes, lowerIsBetter: true },
      { name: 'frames expected', unit: 'frames', value: expected, lowerIsBetter: false },
      { name: 'frames before the answer', unit: 'frames', value: beforeAnswer, lowerIsBetter: false },
      { name: 'unmatched item frames', unit: 'frames', value: unmatched, lowerIsBetter: true },
      { name: 'replayed at connect', unit: 'frames', value: replayedAtConnect, lowerIsBetter: false },
      { name: 'sockets', unit: 'count', value: sockets.length, lowerIsBetter: false },
      { name: 'connect all', unit: 'ms', value: round(connectMs), lowerIsBetter: true },
      { name: 'writes/s achieved', unit: 'req/s', value: round(sent / writeSeconds), lowerIsBetter: false },
      { name: 'writes not sent (over max in flight)', unit: 'count', value: skipped, lowerIsBetter: true },
      { name: 'writes failed', unit: 'count', value: failed, lowerIsBetter: true },
      { name: 'REST answer p99', unit: 'ms', value: round(quantile(restLatencies, 0.99)), lowerIsBetter: true },
    ],
    latencies,
  };
}

export const fanOut: Scenario<FanOutSeed> = {
  name: 'fan-out',
  serverEnv: SOCKET_SERVER_ENV,
  baseline: 'bench/baseline/ws-server.ts',
  async seed(context: SeedContext): Promise<FanOutSeed> {
    const { lists } = options();
    const households = await seedHouseholds(context, 'fan-out', { lists, ...HOUSEHOLD });
    return { appUrl: context.appUrl, households };
  },
  run: runFanOut,
  targets: [
    {
      name: 'fan-out p99 ≤ 2× baseline p99',
      check(runs) {
        const app = median((runs.app ?? []).map((r) => figure(r, 'p99')));
        const baseline = median((runs.baseline ?? []).map((r) => figure(r, 'p99')));
        const value = round(app / baseline, 2);
        return { value, required: '≤ 2', met: value <= 2 };
      },
    },
    {
      name: 'fan-out: zero missing, zero duplicate (app)',
      check(runs) {
        const value = (runs.app ?? []).reduce(
          (sum, r) => sum + figure(r, 'missing') + figure(r, 'duplicate') + figure(r, 'echoed to the writer'),
          0,
        );
        return { value, required: '0', met: (runs.app ?? []).length > 0 && value === 0 };
      },
    },
  ],
};

export default fanOut;

/**
 * Idle memory: WS_IDLE_SOCKETS (10,000) idle sockets on households of 4 members × 5 devices
 * (20 sockets a list: 500 lists for 10,000), each device its own session, opened the way the
 * app opens them (`/ws/lists/:id?token=`), WS_HANDSHAKE_CONCURRENCY (32) handshakes at a time.
 * Measured on the contender's process (`Contender.pid`, VmRSS of /proc/<pid>/status): RSS
 * before the sockets, and once they are all open and WS_IDLE_SETTLE_MS (3000) have passed
 * (presence frames of the joins delivered); RSS per socket = (after − before) / sockets.
 * Reported beside it: the handshake rate, and the RSS at 10,000 sockets, extrapolated from
 * the per-socket figure when the run opened fewer (a dev run) — the target reads that one.
 *
 * A refused handshake does not end the run: refusals are counted and described (status and
 * message, e.g. a 409 socket limit or a 429 throttle) in the figures' log line, so that a failure
 * at 10,000 says why.
 *
 * The client side: 10,000 sockets from one process need 10,000 file descriptors (`ulimit -n`,
 * checked before connecting), and the server as many in its own process.
 *
 * Interface extensions used (bench/perf/scenario.ts, optional fields): `serverEnv` (the app's
 * socket limits WS_MAX_SOCKETS_PER_USER/WS_MAX_SOCKETS_SOCKETS_PER_LIST and WS_HANDSHAKES_PER_MIN lifted
 * above what the households open, so that rows of the previous run's sockets that are still
 * being deleted never refuse a handshake) and `baseline` ('bench/baseline/ws-server.ts').
 */
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { Contender, RunResult, Scenario, SeedContext } from '../scenario';
import {
  closeAll,
  err,
  describeRefusals,
  Household,
  isRefusal,
  openSocket,
  figure,
  inParallel,
  round,
  rssKiB,
  seedHouseholds,
  SOCKETS_PER_LIST,
  HOUSEHOLD,
  sizeFromEnv,
  sleep,
  SOCKET_SERVER_ENV,
} from '../sockets';

const TARGET_SOCKETS = 10_000;

export interface IdleSeed {
  households: Household[];
}

function options() {
  const sockets = sizeFromEnv('WS_IDLE_SOCKETS', TARGET_SOCKETS);
  return {
    lists: Math.max(1, Math.round(sockets / SOCKETS_PER_LIST)),
    settleMs: sizeFromEnv('WS_IDLE_SETTLE_MS', 3000),
    handshakes: sizeFromEnv('WS_HANDSHAKE_CONCURRENCY', 32),
  };
}

/** The soft limit on open files of this process (a shell's `ulimit -n` in a child: the limit it inherits). */
function openFileLimit(): number {
  try {
    return Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
  } catch {
    return NaN;
  }
}

export async function runIdleMemory(contender: Contender, seed: IdleSeed): Promise<RunResult> {
  const opts = options();
  const wanted = seed.households.length * SOCKETS_PER_LIST;
  const limit = openFileLimit();
  if (Number.isFinite(limit) && limit < wanted + 100) {
    throw new Error(`ulimit -n is ${limit}: ${wanted} sockets need more (raise it: ulimit -n ${wanted + 1000})`);
  }
  const before = await rssKiB(contender.pid);
  const started = performance.now();
  const opened = await inParallel(
    seed.households.flatMap((household) =>
      household.devices.map(
        (device) => () => openSocket(contender.wsUrl, household.listId, `token=${encodeURIComponent(device.token)}`),
      ),
    ),
    opts.handshakes,
  );
  const connectMs = performance.now() - started;
  const sockets = opened.filter((s): s is WebSocket => !isRefusal(s));
  const refusals = opened.filter(isRefusal);
  await sleep(opts.settleMs);
  const stillOpen = sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length;
  const after = await rssKiB(contender.pid);
  await closeAll(sockets, 30_000);
  if (refusals.length > 0) {
    err(
      `idle-memory (${contender.name}): ${refusals.length} of ${wanted} handshakes refused: ${describeRefusals(refusals)}`,
    );
  }
  const perSocketKiB = sockets.length > 0 ? (after - before) / sockets.length : NaN;
  return {
    figures: [
      { name: 'RSS per socket', unit: 'KiB', value: round(perSocketKiB, 2), lowerIsBetter: true },
      { name: 'RSS before', unit: 'MiB', value: round(before / 1024), lowerIsBetter: true },
      { name: 'RSS with the sockets', unit: 'MiB', value: round(after / 1024), lowerIsBetter: true },
      {
        name: 'RSS at 10,000 sockets',
        unit: 'MiB',
        value: round((before + perSocketKiB * TARGET_SOCKETS) / 1024),
        lowerIsBetter: true,
      },
      { name: 'sockets open', unit: 'count', value: stillOpen, lowerIsBetter: false },
      { name: 'handshakes refused', unit: 'count', value: refusals.length, lowerIsBetter: true },
      { name: 'handshakes/s', unit: 'req/s', value: round(opened.length / (connectMs / 1000)), lowerIsBetter: false },
    ],
  };
}

export const idleMemory: Scenario<IdleSeed> = {
  name: 'idle-memory',
  serverEnv: SOCKET_SERVER_ENV,
  baseline: 'bench/baseline/ws-server.ts',
  async seed(context: SeedContext): Promise<IdleSeed> {
    const { lists } = options();
    const households = await seedHouseholds(context, 'idle-memory', { lists, ...HOUSEHOLD });
    return { households };
  },
  run: runIdleMemory,
  targets: [
    {
      name: '10,000 idle sockets under 1 GB of server memory (app)',
      check(runs) {
        const app = runs.app ?? [];
        const value = Math.max(...app.map((r) => figure(r, 'RSS at 10,000 sockets')));
        const refused = app.reduce((sum, r) => sum + figure(r, 'handshakes refused'), 0);
        return { value, required: '< 1024 MiB, none refused', met: app.length > 0 && value < 1024 && refused === 0 };
      },
    },
  ],
};

export default idleMemory;

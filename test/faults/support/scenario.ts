import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { check, countByRule, type CheckOptions, type Violation } from './checker';
import {
  addressOf,
  databaseUrl,
  dropDatabase,
  freshDatabase,
  headSeq,
  RestartableCluster,
  snapshot,
  suiteServerUrl,
  terminateBackends,
} from './database';
import { History, type DbSnapshot, type FaultEntry, type HistoryEntry } from './history';
import { errorMessage, HttpClient, httpRequest, type Endpoint } from './http-client';
import { runDir, ServerInstance, SHUTDOWN_TIMEOUT_MS } from './instance';
import { LoadClient } from './load';
import { Random } from './random';
import { DeviceSocket } from './socket-client';
import { recordScenario, scenarioLine, type ScenarioSummary } from './summary';
import { TcpProxy, type CutMode } from './tcp-proxy';
import { sleep, waitFor } from './timing';

export type InstanceName = 'a' | 'b';
export const INSTANCES: readonly InstanceName[] = ['a', 'b'];

const JWT_SECRET = 'fault-suite-secret-that-is-long-enough-for-hs256-0123456789';
/** Server ping interval: a socket that hears nothing for SILENCE_MS is dropped and reopened by the client. */
const HEARTBEAT_MS = 1000;
const SILENCE_MS = 3500;
const SETTLE_MS = 20_000;
/** How soon after a fault /ready must say 200 again (and 503s stop being excused). */
const RECOVERY_MS = 5000;

export interface User {
  name: string;
  id: string;
  /** One session (token) per device. */
  tokens: string[];
}

export interface ScenarioSpec {
  name: string;
  title: string;
  /** Runs its own embedded cluster, which `ctx.restartDatabase` can stop and start. */
  restartable?: boolean;
  /** Extra server environment (both instances). */
  env?: Record<string, string>;
  loadMs: number;
  maxOpsPerClient: number;
  /** A third user whose devices reconnect in a loop while the owner removes and re-adds them. */
  churnedMember?: boolean;
  /** One of the member's devices reconnects in a loop (so handshakes meet the faults too). */
  reconnectLoop?: boolean;
  check?: Pick<CheckOptions, 'allowResync'>;
  seed?: number;
  /** The faults, run alongside the load from its start. */
  inject(ctx: ScenarioContext): Promise<void>;
}

export interface ScenarioResult {
  summary: ScenarioSummary;
  violations: Violation[];
  history: HistoryEntry[];
  db: DbSnapshot;
}

/** Polls /ready on one instance every 250 ms, recording each answer. */
class ReadyProbe {
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(instance: ServerInstance, history: History) {
    this.loop = (async () => {
      while (!this.stopped) {
        const start = Date.now();
        try {
          const answer = await httpRequest({ port: instance.port, method: 'GET', path: '/ready', timeoutMs: 2000 });
          history.record({ kind: 'ready', instance: instance.name, start, end: Date.now(), status: answer.status });
        } catch (error) {
          history.record({
            kind: 'ready',
            instance: instance.name,
            start,
            end: Date.now(),
            error: errorMessage(error),
          });
        }
        await sleep(250);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}

interface Effects {
  dbUnreachable?: InstanceName[];
  dbPartial?: InstanceName[];
  draining?: InstanceName[];
  killed?: InstanceName[];
}

/** What a scenario's `inject` works with: the processes, their proxies, the database and the clock of the run. */
export class ScenarioContext {
  startedAt = 0;
  readonly faults: FaultEntry[] = [];
  private readonly clients: HttpClient[] = [];

  constructor(
    readonly history: History,
    readonly instances: Record<InstanceName, ServerInstance>,
    readonly proxies: Record<InstanceName, TcpProxy>,
    /** The scenario's database, reached directly (not through a proxy). */
    readonly directUrl: string,
    readonly listId: string,
    readonly users: { owner: User; member: User; churned?: User },
    private readonly cluster: RestartableCluster | null,
    readonly endpoints: Endpoint[],
    /** The devices' HTTP clients. */
    private readonly devices: HttpClient[],
  ) {}

  /**
   * Waits (at most `timeoutMs`) until a device's keyed POST has waited `forMs` for its answer
   * from `instance`: a write that instance has started and not answered.
   */
  async postInFlight(instance: InstanceName, forMs: number, timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const now = Date.now();
      const found = this.devices.some(
        (d) => d.inFlight?.instance === instance && d.inFlight.keyed && now - d.inFlight.since >= forMs,
      );
      if (found) return true;
      await sleep(5);
    }
    return false;
  }

  /** An HTTP client for one of `user`'s devices whose operations go into the history (e.g. the owner's admin actions). */
  client(id: string, token: string, home: number): HttpClient {
    const http = new HttpClient(id, token, this.endpoints, this.history, home);
    this.clients.push(http);
    return http;
  }

  closeClients(): void {
    for (const http of this.clients) http.close();
  }

  /** `count` item adds by `client`, one after another (e.g. writes made while a fault holds). */
  async addItems(client: HttpClient, count: number): Promise<void> {
    const writer = new LoadClient(client, this.listId, new Random(count));
    for (let i = 0; i < count; i++) await writer.add();
  }

  /** Waits until `ms` after the load started. */
  async at(ms: number): Promise<void> {
    await sleep(Math.max(0, this.startedAt + ms - Date.now()));
  }

  /** Runs `begin`, holds, runs `end`, and records the window with what it did to whom. */
  async fault(
    name: string,
    effects: Effects,
    begin: () => unknown,
    holdMs: number,
    end: () => unknown = () => undefined,
  ): Promise<void> {
    const start = Date.now();
    try {
      await begin();
      await sleep(holdMs);
    } finally {
      await end();
      this.faults.push(
        this.history.record({
          kind: 'fault',
          name,
          start,
          end: Date.now(),
          dbUnreachable: effects.dbUnreachable ?? [],
          dbPartial: effects.dbPartial ?? [],
          draining: effects.draining ?? [],
          killed: effects.killed ?? [],
        }),
      );
    }
  }

  /** Cuts the instances' database connections for `ms` (every connection destroyed, new ones refused or black-holed). */
  cutDatabase(instances: InstanceName[], mode: CutMode, ms: number): Promise<void> {
    return this.fault(
      `cut(${mode}) ${instances.join('+')} ${ms} ms`,
      { dbUnreachable: instances },
      () => instances.forEach((i) => this.proxies[i].cut(mode)),
      ms,
      () => instances.forEach((i) => this.proxies[i].restore()),
    );
  }

  /** Adds `latency` ms to every chunk between the instances and the database, for `ms`. */
  delayDatabase(instances: InstanceName[], latency: number, ms: number): Promise<void> {
    return this.fault(
      `delay ${latency} ms ${instances.join('+')} ${ms} ms`,
      {},
      () => instances.forEach((i) => this.proxies[i].delay(latency)),
      ms,
      () => instances.forEach((i) => this.proxies[i].restore()),
    );
  }

  /** Stops the cluster (fast shutdown), keeps it down `ms`, starts it again on the same data dir and port. */
  restartDatabase(ms: number): Promise<void> {
    const cluster = this.cluster;
    if (!cluster) throw new Error('this scenario has no restartable cluster (set restartable: true)');
    return this.fault(
      `database stopped ${ms} ms and started`,
      { dbUnreachable: [...INSTANCES] },
      () => cluster.stop(),
      ms,
      async () => {
        const address = await cluster.start();
        for (const proxy of Object.values(this.proxies)) proxy.retarget(address);
      },
    );
  }

  /** SIGKILL: the instance dies at once, in the middle of whatever it was doing. */
  killInstance(name: InstanceName): Promise<void> {
    const instance = this.instances[name];
    return this.fault(
      `SIGKILL ${name}`,
      { killed: [name] },
      () => instance.signal('SIGKILL'),
      0,
      () => instance.exited,
    );
  }

  /** SIGTERM: the instance drains and exits. */
  terminateInstance(name: InstanceName): Promise<void> {
    const instance = this.instances[name];
    return this.fault(
      `SIGTERM ${name}`,
      { draining: [name] },
      () => instance.signal('SIGTERM'),
      0,
      () => instance.exited,
    );
  }

  /** Ends the instance's LISTEN connection in PostgreSQL (found by application name and its proxy's ports). */
  terminateListener(name: InstanceName): Promise<void> {
    return this.fault(`pg_terminate_backend(listener of ${name})`, {}, () => this.endListener(name), 0);
  }

  /**
   * NOTIFY lost for good: `name`'s new database connections are refused (its open pool
   * connections keep working) and its LISTEN backend is ended, so it cannot listen again
   * while `meanwhile` runs (writes through the other instance); then connections pass again.
   * Nothing but the listener's catch-up can bring those writes to `name`'s sockets.
   */
  loseNotifications(name: InstanceName, meanwhile: () => Promise<void>, holdMs: number): Promise<void> {
    return this.fault(
      `LISTEN of ${name} ended and kept from reconnecting during writes`,
      { dbPartial: [name] },
      async () => {
        this.proxies[name].refuseNew();
        await this.endListener(name);
        await meanwhile();
      },
      holdMs,
      () => this.proxies[name].restore(),
    );
  }

  private async endListener(name: InstanceName): Promise<void> {
    const ended = await terminateBackends(this.directUrl, 'cartsync-listener', this.proxies[name].upstreamPorts());
    if (ended !== 1) throw new Error(`expected to end 1 listener backend of ${name}, ended ${ended}`);
  }
}

interface Device {
  http: HttpClient;
  load?: LoadClient;
  socket: DeviceSocket;
}

async function post(port: number, path: string, body: unknown, token?: string): Promise<Record<string, unknown>> {
  const answer = await httpRequest({
    port,
    method: 'POST',
    path,
    body,
    timeoutMs: 10_000,
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  });
  if (answer.status >= 300)
    throw new Error(`setup: POST ${path} answered ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body as Record<string, unknown>;
}

async function getList(port: number, listId: string, token: string) {
  const answer = await httpRequest({
    port,
    method: 'GET',
    path: `/lists/${listId}`,
    timeoutMs: 10_000,
    headers: { Authorization: `Bearer ${token}` },
  });
  if (answer.status !== 200) throw new Error(`setup: GET list answered ${answer.status}`);
  return answer.body as { seq: number; inviteCode: string; name: string };
}

/** Registers a user with `devices` sessions (register, then a login per further device). */
async function registerUser(port: number, name: string, devices: number): Promise<User & { listId: string }> {
  const email = `${name.toLowerCase()}-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`;
  const password = 'correct horse battery staple';
  const registered = (await post(port, '/auth/register', { email, password, name })) as {
    token: string;
    user: { id: string };
    listIds: string[];
  };
  const tokens = [registered.token];
  for (let i = 1; i < devices; i++)
    tokens.push(((await post(port, '/auth/login', { email, password })) as { token: string }).token);
  return { name, id: registered.user.id, tokens, listId: registered.listIds[0] };
}

/**
 * One scenario, end to end: a fresh database, two server processes each behind its own TCP
 * proxy, a list shared by its users, their devices (HTTP load + sockets) for `loadMs` while
 * `inject` runs its faults; then everything settles, the database is read and the checker
 * judges the history. Everything is stopped and removed afterwards, even on failure.
 */
export async function runScenario(spec: ScenarioSpec): Promise<ScenarioResult> {
  const began = Date.now();
  const history = new History();
  const random = new Random(spec.seed ?? 20260419);
  const database = `cartsync_faults_${spec.name.replace(/[^a-z0-9]/gi, '_')}`;
  const cleanup: (() => unknown)[] = [];
  const devices: Device[] = [];
  const probes: ReadyProbe[] = [];
  let cluster: RestartableCluster | null = null;
  try {
    if (spec.restartable) {
      cluster = await RestartableCluster.start();
      const owned = cluster;
      cleanup.push(() => owned.dispose());
    }
    const serverUrl = cluster?.serverUrl() ?? suiteServerUrl();
    const directUrl = await freshDatabase(serverUrl, database);
    if (!cluster) cleanup.push(() => dropDatabase(serverUrl, database));

    const proxies = {} as Record<InstanceName, TcpProxy>;
    for (const name of INSTANCES) {
      proxies[name] = await TcpProxy.start(addressOf(serverUrl));
      cleanup.push(() => proxies[name].close());
    }
    const instances = {} as Record<InstanceName, ServerInstance>;
    await Promise.all(
      INSTANCES.map(async (name) => {
        instances[name] = await ServerInstance.start(
          name,
          `${spec.name}-${name}`,
          {
            DATABASE_URL: databaseUrl(serverUrl, database, { host: '127.0.0.1', port: proxies[name].port }),
            JWT_SECRET,
            WS_HEARTBEAT_MS: String(HEARTBEAT_MS),
            REALTIME_SWEEP_MS: '2000',
            ...spec.env,
          },
          history,
        );
        cleanup.push(() => instances[name].stop());
      }),
    );
    const endpoints: Endpoint[] = INSTANCES.map((name) => ({ name, port: instances[name].port }));
    const portA = instances.a.port;

    // The cast: an owner and a member with two devices each; optionally a member churned in and out.
    const owner = await registerUser(portA, 'Ana', 2);
    const member = await registerUser(instances.b.port, spec.churnedMember ? 'Cleo' : 'Bob', 2);
    const listId = owner.listId;
    let { inviteCode } = await getList(portA, listId, owner.tokens[0]);
    await post(instances.b.port, '/lists/join', { inviteCode }, member.tokens[0]);
    let churned: (User & { listId: string }) | undefined;
    if (spec.churnedMember) {
      churned = await registerUser(portA, 'Bob', 2);
      ({ inviteCode } = await getList(portA, listId, owner.tokens[0]));
      await post(portA, '/lists/join', { inviteCode }, churned.tokens[0]);
    }
    const startSeq = (await getList(portA, listId, owner.tokens[0])).seq;

    let client = 0;
    let socketNo = 0;
    const addDevice = (
      user: User,
      device: number,
      o: { load: boolean; churnMs?: [number, number]; whenRemoved?: 'reload' | 'retry' },
    ) => {
      const home = client;
      const http = new HttpClient(`c${client++}`, user.tokens[device], endpoints, history, home);
      cleanup.push(() => http.close());
      const socket = new DeviceSocket(
        {
          id: `s${socketNo++}`,
          userId: user.id,
          token: user.tokens[device],
          listId,
          endpoints,
          home: home + 1,
          history,
          http,
          silenceMs: SILENCE_MS,
          random: new Random(random.int(2 ** 31)),
          churnMs: o.churnMs,
          whenRemoved: o.whenRemoved,
        },
        startSeq,
      );
      const load = o.load ? new LoadClient(http, listId, new Random(random.int(2 ** 31))) : undefined;
      devices.push({ http, socket, load });
    };
    addDevice(owner, 0, { load: true });
    addDevice(owner, 1, { load: true });
    addDevice(member, 0, { load: true });
    addDevice(member, 1, { load: !spec.churnedMember, churnMs: spec.reconnectLoop ? [300, 900] : undefined });
    if (churned) {
      addDevice(churned, 0, { load: false, churnMs: [200, 700], whenRemoved: 'reload' });
      addDevice(churned, 1, { load: false, churnMs: [200, 700], whenRemoved: 'retry' });
    }

    for (const name of INSTANCES) probes.push(new ReadyProbe(instances[name], history));
    for (const d of devices) d.socket.start();
    const stopSockets = () => Promise.all(devices.map((d) => d.socket.stop()));
    cleanup.push(stopSockets);
    const opened = await waitFor(
      () => devices.every((d) => d.socket.connections > 0 && d.socket.position >= startSeq),
      10_000,
    );
    if (!opened) throw new Error('setup: the sockets did not open');

    const ctx = new ScenarioContext(
      history,
      instances,
      proxies,
      directUrl,
      listId,
      { owner, member, churned },
      cluster,
      endpoints,
      devices.map((d) => d.http),
    );
    cleanup.push(() => ctx.closeClients());
    ctx.startedAt = Date.now();
    const until = ctx.startedAt + spec.loadMs;
    const loads = devices
      .filter((d) => d.load)
      .map((d, i) => d.load!.run({ maxOps: spec.maxOpsPerClient, until, renamesList: i === 0 }));
    const injected = spec.inject(ctx);
    const [injection] = await Promise.allSettled([injected, Promise.all(loads)]);
    for (const proxy of Object.values(proxies)) proxy.restore();
    if (injection.status === 'rejected') throw injection.reason;

    // Settle (bounded): every socket at the list's final seq, each live server said ready after the last fault.
    const alive = INSTANCES.filter((name) => instances[name].alive);
    const finalSeq = await headSeq(directUrl, listId);
    await Promise.all(devices.map((d) => d.socket.reaches(finalSeq, SETTLE_MS)));
    await stopSockets();
    // /ready is judged up to RECOVERY_MS after the last fault: probe until each live instance said 200 after it.
    const lastFault = Math.max(ctx.startedAt, ...ctx.faults.map((f) => f.end));
    await waitFor(
      () =>
        alive.every((name) =>
          history.of('ready').some((r) => r.instance === name && r.start >= lastFault && r.status === 200),
        ),
      RECOVERY_MS + 2000,
    );
    await Promise.all(probes.map((p) => p.stop()));

    const db = await snapshot(directUrl, listId);
    const entries = [...history.entries];
    const violations = check(entries, db, {
      ...spec.check,
      recoveryMs: RECOVERY_MS,
      shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS,
      churnedUsers: churned ? [churned.id] : [],
    });
    const summary = summarize(spec, entries, db, violations, Date.now() - began);
    const dir = join(runDir(), spec.name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'history.json'), JSON.stringify({ entries, db, violations }, null, 1));
    if (violations.length > 0) summary.logs = dir;
    recordScenario(summary);
    process.stdout.write(`${scenarioLine(summary)}\n`);
    return { summary, violations, history: entries, db };
  } finally {
    for (const probe of probes) await probe.stop().catch(() => undefined);
    for (const step of cleanup.reverse()) await Promise.resolve(step()).catch(() => undefined);
  }
}

const WRITES = new Set(['add', 'check', 'rename', 'delete', 'renameList', 'removeMember', 'join']);

function summarize(
  spec: ScenarioSpec,
  entries: HistoryEntry[],
  db: DbSnapshot,
  violations: Violation[],
  durationMs: number,
): ScenarioSummary {
  const http = entries.filter((e) => e.kind === 'http');
  const ops = entries.filter((e) => e.kind === 'op');
  const conns = entries.filter((e) => e.kind === 'conn');
  const sockets = new Set(conns.map((c) => c.socket));
  const statuses: Record<string, number> = {};
  for (const e of http) statuses[String(e.status ?? 'none')] = (statuses[String(e.status ?? 'none')] ?? 0) + 1;
  const byRule = countByRule(violations);
  const first = violations[0];
  return {
    name: spec.name,
    title: spec.title,
    passed: violations.length === 0,
    durationMs,
    requests: http.length,
    operations: ops.length,
    writesAcknowledged: ops.filter((o) => WRITES.has(o.action) && o.outcome === 'ok').length,
    retries: http.filter((e) => e.attempt > 1).length,
    statuses,
    sockets: sockets.size,
    frames: entries.filter((e) => e.kind === 'frame' && e.seq !== undefined).length,
    reconnects: conns.filter((c) => c.event === 'open').length - sockets.size,
    handshakesRefused: conns.filter((c) => c.event === 'refused').length,
    resyncs: entries.filter((e) => e.kind === 'frame' && e.type === 'resync').length,
    faults: entries
      .filter((e) => e.kind === 'fault')
      .map((f) => `${f.name} (${((f.end - f.start) / 1000).toFixed(1)} s)`),
    finalSeq: db.list.seq,
    lost: byRule['lost-write'] ?? 0,
    duplicates: (byRule['duplicate-write'] ?? 0) + (byRule['duplicate-frame'] ?? 0),
    abandoned: byRule.abandoned ?? 0,
    violations: violations.length,
    byRule,
    ...(first ? { firstViolation: { rule: first.rule, message: first.message, entry: first.entry } } : {}),
  };
}

/** Fails with the checker's findings: counts per rule, the first failing history entry, the next few. */
export function expectNoViolations(result: ScenarioResult): void {
  if (result.violations.length === 0) return;
  const { summary, violations } = result;
  const lines = [
    `${summary.name}: ${violations.length} violations (${Object.entries(summary.byRule)
      .map(([rule, n]) => `${rule} ${n}`)
      .join(', ')})`,
    `first failing history entry: ${JSON.stringify(violations[0].entry)}`,
    ...violations.slice(0, 15).map((v) => `  [${v.rule}] ${v.message}`),
    ...(violations.length > 15 ? [`  … ${violations.length - 15} more`] : []),
    `history and server logs: ${summary.logs ?? runDir()}`,
  ];
  throw new Error(lines.join('\n'));
}

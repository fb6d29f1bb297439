/**
 * `npm run bench:pg`: what one PostgreSQL on this machine sustains for CartSync's write path, and
 * what fanning its notifications out to N instances costs. Not part of `npm run bench` (no
 * contender, no baseline): it measures the database alone, so that docs/SCALING.md and
 * bench/simulate-day.ts can say how many instances and households one database carries.
 *
 * A throwaway embedded PostgreSQL (durable settings: fsync and synchronous_commit on, as in
 * production, unlike the tests' cluster) gets the app's migrations (src/database/data-source.ts),
 * then each write replays, statement for statement, the transaction the app runs for
 * `POST /lists/:id/items` (6 round trips: START TRANSACTION, memberships.find, items.insert,
 * events.append, quotas.items-on, COMMIT) and `PATCH /lists/:id/items/:itemId {checked:true}`
 * (6: START TRANSACTION, memberships.find, items.lock-in-list, items.update, events.append,
 * COMMIT); a read replays `GET /lists/:id` (1: lists.view). Writers alternate add, check. Every
 * statement but START TRANSACTION and COMMIT is sent as the app sends it: a named prepared
 * statement (src/database/prepared-statement.ts), its name and SQL imported from the app's
 * repositories (see STATEMENTS below), so that each connection parses and plans it once.
 *
 * Runs (a few seconds each; `--seconds=N`, `--quick` for 1 s):
 * - throughput: 1, 8, 32 concurrent writers (one connection each) on ONE list (every write
 *   queues for the same list row) and on MANY lists (1,000; a random one per write), with
 *   synchronous_commit on and off; and the 32-writer many-list run without the NOTIFY, to see
 *   what the notification queue costs;
 * - reads: GET /lists/:id's one statement (40 items, 32 members), 8 and 32 readers, many lists;
 * - fan-out: 1, 4, 16 connections LISTENing on the events channel (one per app instance), at a
 *   paced 200 writes/s and at full speed: time from the COMMIT being sent to the notification's
 *   arrival on every listener (p50, p99, max), and missing notifications;
 * - connections: max_connections and what DB_POOL_SIZE + the listener imply per instance.
 *
 * Writes bench/results/pg-capacity.json and prints a table. On a shared machine the figures
 * are labelled "dev run, shared machine" (`--label=...` to say otherwise).
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
// The statements' modules load the repositories' dependencies (Nest's decorators, nestjs-cls,
// the entities), not the app: no module, no service, no connection.
import { dataSourceOptions, migrate } from '../src/database/data-source';
import { EmbeddedPostgres } from '../src/database/embedded-postgres';
import type { PreparedStatement } from '../src/database/prepared-statement';
import { EVENTS_CHANNEL } from '../src/events/stored-event';
import {
  ADD as ITEMS_ADD,
  LOCK_FOR_MEMBER as ITEMS_LOCK_FOR_MEMBER,
  UPDATE as ITEMS_UPDATE,
  updateValues,
} from '../src/items/items.repository';
import { VIEW as LISTS_VIEW } from '../src/lists/lists.repository';

/* eslint-disable no-console */

const ROOT = resolve(__dirname, '..', '..', '..');
const OUT = join(ROOT, 'bench', 'results', 'pg-capacity.json');

const arg = (name: string): string | undefined =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ??
  (process.argv.includes(`--${name}`) ? 'true' : undefined);

const QUICK = arg('quick') === 'true';
const SECONDS = Number(arg('seconds') ?? (QUICK ? 1 : 3));
const LABEL = arg('label') ?? 'dev run, shared machine';
const MANY_LISTS = 1000;
const ITEMS_PER_LIST = 40;
const WRITER_COUNTS = [1, 8, 32];
const LISTENER_COUNTS = [1, 4, 16];
const PACED_RATE = 200;
/** The app's default pool (src/config/database.config.ts DB_POOL_SIZE) and its one LISTEN connection. */
const APP_POOL_DEFAULT = 10;

// ---------------------------------------------------------------------------------------------
// The app's statements (imported: same names, same SQL), in the order one request runs them.
// ---------------------------------------------------------------------------------------------

/** A statement's values, in the order of its parameters. */
type Values = unknown[];

/**
 * `items.update-logged` without its `pg_notify` (the bench's own statement, under its own name):
 * the run without NOTIFY, to see what the notification queue costs. Derived from the app's
 * text, so that it fails here rather than measure something else once that text changes.
 */
const UPDATE_WITHOUT_NOTIFY = (() => {
  const text = ITEMS_UPDATE.text.replace(/,\s*pg_notify\(\$15, json_build_object\([^)]*\)::text\)/, '');
  if (text === ITEMS_UPDATE.text || text.includes('pg_notify') || !text.includes('$14')) {
    throw new Error(`${ITEMS_UPDATE.name} changed: update UPDATE_WITHOUT_NOTIFY in bench/pg-capacity.ts`);
  }
  return { name: 'bench.items.update-logged-without-notify', text };
})();

/** Round trips of each request, START TRANSACTION and COMMIT included (pg-capacity.json's statementsPerRequest). */
const STATEMENTS = {
  add: [ITEMS_ADD.name],
  check: ['START TRANSACTION', ITEMS_LOCK_FOR_MEMBER.name, ITEMS_UPDATE.name, 'COMMIT'],
  getList: [LISTS_VIEW.name],
};

/** One statement as the app sends it: named, so the connection parses and plans it once (node-postgres). */
function execute<R extends object = Record<string, unknown>>(
  db: Client,
  statement: Pick<PreparedStatement, 'name' | 'text'>,
  values: Values,
) {
  return db.query<R>({ name: statement.name, text: statement.text, values });
}

/** An item row as items.insert and items.lock-in-list return it (ITEM_COLUMNS). */
interface ItemRow {
  id: string;
  listId: string;
  name: string;
  quantity: number;
  unit: string;
  note: string | null;
  category: string | null;
  checked: boolean;
  checkedBy: string | null;
  checkedAt: Date | null;
  checkedReceivedAt: Date | null;
  addedBy: string | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

interface Actor {
  userId: string;
  sessionId: string;
}

/** Sent-COMMIT times of the notifications the fan-out listeners wait for. */
type CommitClock = Map<string, number>;

interface WriteOptions {
  notify: boolean;
  commitTimes?: CommitClock;
}

async function commit(db: Client, listId: string, seq: number, options: WriteOptions): Promise<void> {
  options.commitTimes?.set(`${listId}:${seq}`, performance.now());
  await db.query('COMMIT');
}

/**
 * POST /lists/:listId/items, as the app runs it (ItemsService.add): 1 round trip, no explicit
 * transaction. Without NOTIFY the channel is null (cartsync_add_item then sends none). Its
 * commit time is taken before the statement is sent (the commit ends it): fan-out latencies of
 * adds include the statement's execution.
 */
async function addItem(db: Client, listId: string, actor: Actor, options: WriteOptions): Promise<string> {
  const id = randomUUID();
  const sent = performance.now();
  const added = await execute<{ outcome: string; seq: string }>(db, ITEMS_ADD, [
    listId,
    actor.userId,
    actor.sessionId,
    id,
    'milk',
    1,
    '×',
    null,
    null,
    1_000_000,
    options.notify ? EVENTS_CHANNEL : null,
  ]);
  if (added.rows[0]?.outcome !== 'added') throw new Error(`add on ${listId}: ${added.rows[0]?.outcome}`);
  options.commitTimes?.set(`${listId}:${Number(added.rows[0].seq)}`, sent);
  return id;
}

/** PATCH /lists/:listId/items/:itemId {checked: true}, as the app runs it (ItemsService.update): 4 round trips. */
async function checkItem(db: Client, listId: string, itemId: string, actor: Actor, options: WriteOptions) {
  await db.query('START TRANSACTION');
  try {
    const locked = await execute<ItemRow>(db, ITEMS_LOCK_FOR_MEMBER, [itemId, listId, actor.userId]);
    const at = new Date();
    const item: ItemRow = {
      ...locked.rows[0],
      checked: true,
      checkedBy: actor.userId,
      checkedAt: at,
      checkedReceivedAt: at,
      version: locked.rows[0].version + 1,
    };
    const values = updateValues(item, actor);
    const updated = options.notify
      ? await execute<{ seq: string }>(db, ITEMS_UPDATE, values)
      : await execute<{ seq: string }>(db, UPDATE_WITHOUT_NOTIFY, values.slice(0, 14));
    if (updated.rows.length === 0) throw new Error(`item ${itemId} vanished inside its own transaction`);
    await commit(db, listId, Number(updated.rows[0].seq), options);
  } catch (error) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** GET /lists/:id, as the app runs it (ListsRepository.viewFor): one statement on a pooled connection. */
async function getList(db: Client, listId: string, actor: Actor): Promise<void> {
  await execute(db, LISTS_VIEW, [listId, actor.userId]);
}

// ---------------------------------------------------------------------------------------------
// Measurement helpers
// ---------------------------------------------------------------------------------------------
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Seeded {
  lists: string[];
  actors: Actor[];
}

async function seed(admin: Client, writers: number): Promise<Seeded> {
  const actors: Actor[] = [];
  for (let i = 0; i < writers; i++) {
    const user = await admin.query<{ id: string }>(
      `INSERT INTO users (email, name, password_hash) VALUES ($1, $2, 'x') RETURNING id`,
      [`writer${i}@bench.invalid`, `Writer ${i}`],
    );
    const session = await admin.query<{ id: string }>(
      `INSERT INTO sessions (user_id, expires_at) VALUES ($1, now() + interval '1 day') RETURNING id`,
      [user.rows[0].id],
    );
    actors.push({ userId: user.rows[0].id, sessionId: session.rows[0].id });
  }
  const lists = await admin.query<{ id: string }>(
    `INSERT INTO lists (name, invite_code_digest) SELECT 'list ' || g, md5(random()::text || g) FROM generate_series(1, $1) g RETURNING id`,
    [MANY_LISTS],
  );
  await admin.query(
    `INSERT INTO list_members (list_id, user_id, role) SELECT l.id, u.id, 'member' FROM lists l CROSS JOIN users u`,
  );
  return { lists: lists.rows.map((r) => r.id), actors };
}

/** Every list back to ITEMS_PER_LIST items and an empty log, so each run starts alike. */
async function reset(admin: Client, lists: string[], actor: Actor): Promise<void> {
  await admin.query(`TRUNCATE items, list_events`);
  await admin.query(`UPDATE lists SET seq = 0`);
  await admin.query(
    `INSERT INTO items (list_id, name, added_by) SELECT l, 'item ' || g, $2 FROM unnest($1::uuid[]) l, generate_series(1, $3) g`,
    [lists, actor.userId, ITEMS_PER_LIST],
  );
  await admin.query(`VACUUM ANALYZE items, lists, list_events`);
}

interface ThroughputRun {
  synchronousCommit: 'on' | 'off';
  writers: number;
  lists: 'one' | 'many';
  notify: boolean;
  seconds: number;
  writes: number;
  writesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  largestListItems: number;
  /** CPU the bench process itself used (client side: the pg driver), % of one core. */
  benchCpuPercent: number;
}

interface FanOutRun {
  listeners: number;
  mode: 'paced' | 'full speed';
  targetRate: number | null;
  writers: number;
  writesPerSec: number;
  /** From COMMIT sent to the notification's arrival on every listener. */
  allP50Ms: number;
  allP99Ms: number;
  allMaxMs: number;
  /** From COMMIT sent to arrival, each (notification, listener) pair. */
  eachP50Ms: number;
  eachP99Ms: number;
  missing: number;
}

interface Pools {
  writers: Client[];
  url: string;
}

async function connect(url: string, count: number, synchronousCommit: 'on' | 'off'): Promise<Client[]> {
  const clients: Client[] = [];
  for (let i = 0; i < count; i++) {
    const client = new Client({ connectionString: url, application_name: 'cartsync-bench-writer' });
    await client.connect();
    await client.query(`SET synchronous_commit = ${synchronousCommit}`);
    clients.push(client);
  }
  return clients;
}

/**
 * `writers` loops, each on its own connection, alternating add and check for `seconds`; with
 * `rate`, paced to that many writes per second in total.
 */
async function drive(
  pools: Pools,
  seeded: Seeded,
  options: {
    writers: number;
    lists: 'one' | 'many';
    notify: boolean;
    seconds: number;
    rate?: number;
    commitTimes?: CommitClock;
    /** GET /lists/:id instead of writes. */
    reads?: boolean;
  },
): Promise<{ writes: number; latencies: number[]; errors: number; elapsedMs: number; benchCpuPercent: number }> {
  const latencies: number[] = [];
  let errors = 0;
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const end = start + options.seconds * 1000;
  const interval = options.rate ? (options.writers * 1000) / options.rate : 0;
  const loop = async (index: number) => {
    const db = pools.writers[index];
    const actor = seeded.actors[index];
    let pending: { listId: string; itemId: string } | null = null;
    let next = start + (interval * index) / options.writers;
    while (performance.now() < end) {
      if (interval > 0) {
        const wait = next - performance.now();
        if (wait > 0) await sleep(wait);
        next += interval;
        if (performance.now() >= end) break;
      }
      const began = performance.now();
      try {
        if (options.reads) {
          await getList(db, seeded.lists[Math.floor(Math.random() * seeded.lists.length)], actor);
        } else if (pending) {
          await checkItem(db, pending.listId, pending.itemId, actor, options);
          pending = null;
        } else {
          const listId =
            options.lists === 'one' ? seeded.lists[0] : seeded.lists[Math.floor(Math.random() * seeded.lists.length)];
          pending = { listId, itemId: await addItem(db, listId, actor, options) };
        }
        latencies.push(performance.now() - began);
      } catch (error) {
        errors++;
        if (errors <= 3) console.error(`write failed: ${(error as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: options.writers }, (_, i) => loop(i)));
  const elapsedMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  const benchCpuPercent = round(((cpu.user + cpu.system) / 1000 / elapsedMs) * 100, 0);
  return { writes: latencies.length, latencies, errors, elapsedMs, benchCpuPercent };
}

async function throughputRun(
  url: string,
  admin: Client,
  seeded: Seeded,
  synchronousCommit: 'on' | 'off',
  writers: number,
  lists: 'one' | 'many',
  notify: boolean,
): Promise<ThroughputRun> {
  await reset(admin, seeded.lists, seeded.actors[0]);
  const pools: Pools = { url, writers: await connect(url, writers, synchronousCommit) };
  try {
    const result = await drive(pools, seeded, { writers, lists, notify, seconds: SECONDS });
    const sorted = result.latencies.sort((a, b) => a - b);
    const largest = await admin.query<{ n: number }>(
      `SELECT coalesce(max(n), 0)::int AS n FROM (SELECT count(*) AS n FROM items GROUP BY list_id) c`,
    );
    return {
      synchronousCommit,
      writers,
      lists,
      notify,
      seconds: round(result.elapsedMs / 1000, 2),
      writes: result.writes,
      writesPerSec: round(result.writes / (result.elapsedMs / 1000), 0),
      p50Ms: round(percentile(sorted, 50), 2),
      p99Ms: round(percentile(sorted, 99), 2),
      errors: result.errors,
      largestListItems: largest.rows[0].n,
      benchCpuPercent: result.benchCpuPercent,
    };
  } finally {
    await Promise.all(pools.writers.map((c) => c.end()));
  }
}

interface ReadRun {
  readers: number;
  seconds: number;
  readsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  benchCpuPercent: number;
}

/** GET /lists/:id's one statement, lists.view (40 items, 32 members), `readers` connections at full speed. */
async function readRun(url: string, admin: Client, seeded: Seeded, readers: number): Promise<ReadRun> {
  await reset(admin, seeded.lists, seeded.actors[0]);
  const pools: Pools = { url, writers: await connect(url, readers, 'on') };
  try {
    const result = await drive(pools, seeded, {
      writers: readers,
      lists: 'many',
      notify: false,
      seconds: SECONDS,
      reads: true,
    });
    const sorted = result.latencies.sort((a, b) => a - b);
    return {
      readers,
      seconds: round(result.elapsedMs / 1000, 2),
      readsPerSec: round(result.writes / (result.elapsedMs / 1000), 0),
      p50Ms: round(percentile(sorted, 50), 2),
      p99Ms: round(percentile(sorted, 99), 2),
      errors: result.errors,
      benchCpuPercent: result.benchCpuPercent,
    };
  } finally {
    await Promise.all(pools.writers.map((c) => c.end()));
  }
}

async function fanOutRun(
  url: string,
  admin: Client,
  seeded: Seeded,
  listenerCount: number,
  mode: 'paced' | 'full speed',
): Promise<FanOutRun> {
  await reset(admin, seeded.lists, seeded.actors[0]);
  const writers = 8;
  const commitTimes: CommitClock = new Map();
  const arrivals = new Map<string, number[]>();
  const listeners: Client[] = [];
  for (let i = 0; i < listenerCount; i++) {
    const listener = new Client({ connectionString: url, application_name: 'cartsync-bench-listener' });
    await listener.connect();
    listener.on('notification', (message) => {
      const at = performance.now();
      if (!message.payload?.startsWith('{')) return;
      const { l, s } = JSON.parse(message.payload) as { l: string; s: number };
      const key = `${l}:${s}`;
      const seen = arrivals.get(key);
      if (seen) seen.push(at);
      else arrivals.set(key, [at]);
    });
    await listener.query(`LISTEN ${listener.escapeIdentifier(EVENTS_CHANNEL)}`);
    listeners.push(listener);
  }
  const pools: Pools = { url, writers: await connect(url, writers, 'on') };
  try {
    const rate = mode === 'paced' ? PACED_RATE : undefined;
    const result = await drive(pools, seeded, {
      writers,
      lists: 'many',
      notify: true,
      seconds: SECONDS,
      rate,
      commitTimes,
    });
    // Let the last notifications land (a sync point: a NOTIFY sent after every write, awaited).
    const done = `done-${randomUUID()}`;
    const landed = Promise.all(
      listeners.map(
        (listener) =>
          new Promise<void>((resolveLanded) => {
            listener.on('notification', (message) => {
              if (message.payload === done) resolveLanded();
            });
          }),
      ),
    );
    await admin.query(`SELECT pg_notify($1, $2)`, [EVENTS_CHANNEL, done]);
    await Promise.race([landed, sleep(10_000)]);
    const all: number[] = [];
    const each: number[] = [];
    let missing = 0;
    for (const [key, sentAt] of commitTimes) {
      const seen = arrivals.get(key) ?? [];
      missing += listenerCount - seen.length;
      for (const at of seen) each.push(at - sentAt);
      if (seen.length === listenerCount) all.push(Math.max(...seen) - sentAt);
    }
    all.sort((a, b) => a - b);
    each.sort((a, b) => a - b);
    return {
      listeners: listenerCount,
      mode,
      targetRate: rate ?? null,
      writers,
      writesPerSec: round(result.writes / (result.elapsedMs / 1000), 0),
      allP50Ms: round(percentile(all, 50), 2),
      allP99Ms: round(percentile(all, 99), 2),
      allMaxMs: round(all[all.length - 1] ?? NaN, 2),
      eachP50Ms: round(percentile(each, 50), 2),
      eachP99Ms: round(percentile(each, 99), 2),
      missing,
    };
  } finally {
    await Promise.all(pools.writers.map((c) => c.end()));
    await Promise.all(listeners.map((c) => c.end()));
  }
}

async function schemaFacts(admin: Client) {
  const tables = await admin.query<{ table_name: string; has_list_id: boolean }>(
    `SELECT t.table_name, EXISTS (SELECT 1 FROM information_schema.columns c
              WHERE c.table_schema = t.table_schema AND c.table_name = t.table_name AND c.column_name = 'list_id') AS has_list_id
       FROM information_schema.tables t
      WHERE t.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND t.table_name <> 'migrations'
      ORDER BY 1`,
  );
  // `lists` is keyed by the list id itself (its `id`).
  const keyed = (r: { table_name: string; has_list_id: boolean }) => r.has_list_id || r.table_name === 'lists';
  return {
    withListId: tables.rows.filter(keyed).map((r) => r.table_name),
    withoutListId: tables.rows.filter((r) => !keyed(r)).map((r) => r.table_name),
  };
}

async function connectionFacts(admin: Client) {
  const settings = await admin.query<{ name: string; setting: string }>(
    `SELECT name, setting FROM pg_settings WHERE name IN ('max_connections', 'superuser_reserved_connections', 'reserved_connections', 'max_wal_senders')`,
  );
  const value = (name: string) => Number(settings.rows.find((r) => r.name === name)?.setting ?? 0);
  const maxConnections = value('max_connections');
  const reserved = value('superuser_reserved_connections') + value('reserved_connections');
  const usable = maxConnections - reserved;
  const perInstance = APP_POOL_DEFAULT + 1;
  return {
    maxConnections,
    reservedConnections: reserved,
    usableConnections: usable,
    appPoolDefault: APP_POOL_DEFAULT,
    perInstance,
    perInstanceNote: 'DB_POOL_SIZE pooled connections + 1 dedicated LISTEN connection (src/realtime/pg-listener.ts)',
    instancesAtDefaultPool: Math.floor(usable / perInstance),
  };
}

function table(rows: Record<string, string | number | boolean | null>[]): string {
  if (rows.length === 0) return '';
  const headers = Object.keys(rows[0]);
  const cells = rows.map((row) => headers.map((h) => String(row[h])));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (values: string[]) => values.map((v, i) => v.padStart(widths[i])).join('  ');
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'cartsync-pg-capacity-'));
  // Postgres runs as the postgres user when we are root: it must reach its data dir.
  await chmod(dir, 0o755);
  let cluster: EmbeddedPostgres | null = null;
  const startedAt = new Date().toISOString();
  try {
    // Durable, as in production: no unsafeFast (fsync, synchronous_commit, full_page_writes on).
    cluster = await EmbeddedPostgres.start({ dataDir: join(dir, 'pg'), port: 0, ephemeral: true });
    const url = await cluster.ensureDatabase('cartsync');
    const dataSource = new DataSource(dataSourceOptions({ url, ssl: false }, { poolSize: 2, connectTimeoutMs: 5000 }));
    await dataSource.initialize();
    await migrate(dataSource);
    await dataSource.destroy();

    const admin = new Client({ connectionString: url, application_name: 'cartsync-bench-admin' });
    await admin.connect();
    const version = (await admin.query<{ server_version: string }>(`SHOW server_version`)).rows[0].server_version;
    const seeded = await seed(admin, Math.max(...WRITER_COUNTS));
    console.log(
      `PostgreSQL ${version}, ${cpus().length} CPUs, load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}; ${SECONDS} s per run (${LABEL})`,
    );

    const throughput: ThroughputRun[] = [];
    for (const synchronousCommit of ['on', 'off'] as const) {
      for (const lists of ['one', 'many'] as const) {
        for (const writers of WRITER_COUNTS) {
          const run = await throughputRun(url, admin, seeded, synchronousCommit, writers, lists, true);
          console.log(
            `  write path, synchronous_commit=${synchronousCommit}, ${lists} list(s), ${writers} writers: ${run.writesPerSec}/s`,
          );
          throughput.push(run);
        }
      }
      const bare = await throughputRun(url, admin, seeded, synchronousCommit, 32, 'many', false);
      console.log(`  without NOTIFY, synchronous_commit=${synchronousCommit}, 32 writers: ${bare.writesPerSec}/s`);
      throughput.push(bare);
    }

    const reads: ReadRun[] = [];
    for (const readers of [8, 32]) {
      const run = await readRun(url, admin, seeded, readers);
      console.log(`  GET /lists/:id (lists.view), ${readers} readers: ${run.readsPerSec}/s`);
      reads.push(run);
    }

    const fanOut: FanOutRun[] = [];
    for (const mode of ['paced', 'full speed'] as const) {
      for (const listeners of LISTENER_COUNTS) {
        const run = await fanOutRun(url, admin, seeded, listeners, mode);
        console.log(`  fan-out to ${listeners} listener(s), ${mode}: p99 ${run.allP99Ms} ms`);
        fanOut.push(run);
      }
    }

    const schema = await schemaFacts(admin);
    const connections = await connectionFacts(admin);
    await admin.end();

    const durable = throughput.filter((r) => r.synchronousCommit === 'on' && r.notify);
    const best = (lists: 'one' | 'many') =>
      Math.max(...durable.filter((r) => r.lists === lists).map((r) => r.writesPerSec));
    const summary = {
      /** The most item writes (each: one event appended, one NOTIFY) per second, durable commits, many lists. */
      writesPerSec: best('many'),
      /** The most writes per second one list takes (its row lock serialises them). */
      oneListWritesPerSec: best('one'),
      /** The most GET /lists/:id reads (lists.view, one statement, 40 items) per second. */
      readsPerSec: Math.max(...reads.map((r) => r.readsPerSec)),
      notifyCostPercent: (() => {
        const withNotify = throughput.find(
          (r) => r.synchronousCommit === 'on' && r.writers === 32 && r.lists === 'many' && r.notify,
        );
        const without = throughput.find((r) => r.synchronousCommit === 'on' && !r.notify);
        return withNotify && without ? round((1 - withNotify.writesPerSec / without.writesPerSec) * 100, 0) : null;
      })(),
      fanOutP99Ms: Object.fromEntries(
        fanOut.filter((r) => r.mode === 'paced').map((r) => [String(r.listeners), r.allP99Ms]),
      ) as Record<string, number>,
    };

    const result = {
      kind: 'pg-capacity',
      label: LABEL,
      startedAt,
      secondsPerRun: SECONDS,
      machine: { cpus: cpus().length, loadAverageAtEnd: loadavg().map((l) => round(l, 2)) },
      postgres: { version, settings: 'embedded, durable (fsync on, full_page_writes on); synchronous_commit per run' },
      statementsPerRequest: {
        add: STATEMENTS.add.length,
        check: STATEMENTS.check.length,
        getList: STATEMENTS.getList.length,
        detail: STATEMENTS,
      },
      throughput,
      reads,
      fanOut,
      connections,
      schema,
      summary,
    };
    await mkdir(join(ROOT, 'bench', 'results'), { recursive: true });
    await writeFile(OUT, `${JSON.stringify(result, null, 2)}\n`);

    console.log(`\nWrite path (add/check transactions as the app runs them), ${LABEL}`);
    console.log(
      table(
        throughput.map((r) => ({
          sync_commit: r.synchronousCommit,
          lists: r.lists,
          writers: r.writers,
          notify: r.notify,
          'writes/s': r.writesPerSec,
          'p50 ms': r.p50Ms,
          'p99 ms': r.p99Ms,
          errors: r.errors,
          'bench cpu %': r.benchCpuPercent,
        })),
      ),
    );
    console.log(`\nGET /lists/:id (lists.view: membership, list, members, 40 items in one statement), many lists`);
    console.log(
      table(
        reads.map((r) => ({
          readers: r.readers,
          'reads/s': r.readsPerSec,
          'p50 ms': r.p50Ms,
          'p99 ms': r.p99Ms,
          errors: r.errors,
          'bench cpu %': r.benchCpuPercent,
        })),
      ),
    );
    console.log(`\nLISTEN fan-out (8 writers, many lists; COMMIT sent → arrival on every listener)`);
    console.log(
      table(
        fanOut.map((r) => ({
          listeners: r.listeners,
          mode: r.mode,
          'writes/s': r.writesPerSec,
          'all p50 ms': r.allP50Ms,
          'all p99 ms': r.allP99Ms,
          'all max ms': r.allMaxMs,
          missing: r.missing,
        })),
      ),
    );
    console.log(
      `\nConnections: max_connections ${connections.maxConnections} (${connections.reservedConnections} reserved); ` +
        `one instance holds up to ${connections.perInstance} (DB_POOL_SIZE ${APP_POOL_DEFAULT} + 1 LISTEN) → ` +
        `${connections.instancesAtDefaultPool} instances at the default pool`,
    );
    console.log(`Tables without list_id: ${schema.withoutListId.join(', ')}`);
    console.log(`\nWrote ${OUT}`);
  } finally {
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

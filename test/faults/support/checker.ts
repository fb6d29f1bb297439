import type {
  ConnEntry,
  DbSnapshot,
  FaultEntry,
  FrameEntry,
  HistoryEntry,
  HttpEntry,
  InstanceEntry,
  OpEntry,
  ReadyEntry,
} from './history';

/**
 * The one checker of the fault suite: pure functions over a scenario's history and the
 * database as it stood afterwards. Each rule returns the violations it found, each with the
 * history entry that shows it; `check` runs them all, earliest violation first.
 */

export type Rule =
  // writes
  | 'lost-write'
  | 'duplicate-write'
  | 'stale-value'
  | 'abandoned'
  | 'unexpected-answer'
  | 'read-your-writes'
  // streams
  | 'gap'
  | 'duplicate-frame'
  | 'reordered-frame'
  | 'frame-mismatch'
  | 'since-mismatch'
  | 'incomplete-stream'
  | 'resync'
  // answers, readiness, processes
  | 'unauthorized'
  | 'server-error'
  | 'unexpected-503'
  | 'ready'
  | 'restart'
  | 'cut-by-shutdown'
  | 'drain-timeout'
  // membership
  | 'membership-leak'
  | 'not-closed';

export interface Violation {
  rule: Rule;
  message: string;
  /** When it showed (ms, the history's clock). */
  t: number;
  entry?: HistoryEntry;
}

export interface CheckOptions {
  /** A `resync` frame is a permitted jump when the socket then reloads the list; otherwise any resync is a violation. */
  allowResync?: boolean;
  /** After the database is back: how long 503s are still accepted, and within which /ready must say 200 again. */
  recoveryMs?: number;
  /** After the database became unreachable: how long /ready may still answer 200 (its own check takes up to 1 s). */
  detectMs?: number;
  /** Users removed from and re-added to the list during the run. */
  churnedUsers?: string[];
  /** The servers' SHUTDOWN_TIMEOUT_MS: a drain that lasts this long was cut off, not finished. */
  shutdownTimeoutMs?: number;
}

const DEFAULTS: Required<CheckOptions> = {
  allowResync: false,
  recoveryMs: 5000,
  detectMs: 1500,
  churnedUsers: [],
  shutdownTimeoutMs: 30_000,
};

export function check(history: readonly HistoryEntry[], db: DbSnapshot, options: CheckOptions = {}): Violation[] {
  const o = { ...DEFAULTS, ...options };
  return [
    ...checkWrites(history, db),
    ...checkStreams(history, db, o),
    ...checkAnswers(history, o),
    ...checkReadiness(history, o),
    ...checkInstances(history, o),
    ...checkMembership(history, db, o),
  ].sort((a, b) => a.t - b.t);
}

function ofKind<K extends HistoryEntry['kind']>(history: readonly HistoryEntry[], kind: K) {
  return history.filter((e): e is Extract<HistoryEntry, { kind: K }> => e.kind === kind);
}

// ---------------------------------------------------------------------------------------
// Writes: every write answered 2xx is in the database afterwards, exactly once.

type ItemState = { name: string; checked: boolean } | null;

const key = (state: ItemState) => (state ? `${state.name}\u0000${state.checked}` : 'absent');

/** The item after `op`, or undefined when the op cannot have applied to that state (a PATCH of a missing item). */
function apply(op: OpEntry, state: ItemState): ItemState | undefined {
  switch (op.action) {
    case 'add':
      return state ?? { name: op.name!, checked: false };
    case 'rename':
      return state ? { ...state, name: op.name! } : undefined;
    case 'check':
      return state ? { ...state, checked: op.checked! } : undefined;
    case 'delete':
      return null;
    case 'get':
    case 'reload':
    case 'renameList':
    case 'removeMember':
    case 'join':
      return state;
  }
}

export function checkWrites(history: readonly HistoryEntry[], db: DbSnapshot): Violation[] {
  const violations: Violation[] = [];
  const ops = ofKind(history, 'op').sort((a, b) => a.start - b.start);
  for (const op of ops) {
    if (op.outcome === 'abandoned') {
      violations.push({
        rule: 'abandoned',
        t: op.end,
        entry: op,
        message: `${op.client} ${describe(op)} got no definitive answer in ${op.attempts} attempts (last status ${op.status ?? 'none'})`,
      });
    } else if (op.outcome === 'rejected' && op.status !== 401) {
      // (a 401 is reported by checkAnswers, once per attempt)
      violations.push({
        rule: 'unexpected-answer',
        t: op.end,
        entry: op,
        message: `${op.client} ${describe(op)} was answered ${op.status}`,
      });
    }
  }

  const byItem = new Map<string, OpEntry[]>();
  for (const op of ops) if (op.itemId) byItem.set(op.itemId, [...(byItem.get(op.itemId) ?? []), op]);
  const rows = new Map(db.items.map((row) => [row.id, row]));
  const addedEvents = new Map<string, number>();
  for (const event of db.events) {
    if (event.type !== 'item:added') continue;
    const id = (event.payload as { id?: string }).id ?? '';
    addedEvents.set(id, (addedEvents.get(id) ?? 0) + 1);
  }

  for (const [itemId, itemOps] of byItem) {
    let possible = new Map<string, ItemState>([['absent', null]]);
    let lastOk: OpEntry | undefined;
    for (const op of itemOps) {
      // A definitive refusal changed nothing; an operation without a definitive answer may or may not have applied.
      const maybe = op.outcome === 'abandoned' || (op.outcome === 'rejected' && op.indeterminate === true);
      if (op.outcome === 'rejected' && !maybe) continue;
      const next = new Map<string, ItemState>(maybe ? possible : []);
      for (const state of possible.values()) {
        const after = apply(op, state);
        if (after !== undefined) next.set(key(after), after);
      }
      possible = next;
      if (op.outcome === 'ok') lastOk = op;
    }
    const row = rows.get(itemId);
    const actual: ItemState = row ? { name: row.name, checked: row.checked } : null;
    if (lastOk && !possible.has(key(actual))) {
      const expected = [...possible.values()];
      const rule: Rule =
        actual === null ? 'lost-write' : expected.every((s) => s === null) ? 'lost-write' : 'stale-value';
      violations.push({
        rule,
        t: lastOk.end,
        entry: lastOk,
        message:
          actual === null
            ? `item ${itemId} (${lastOk.tag}) is missing, though ${describe(lastOk)} was answered ${lastOk.status}`
            : `item ${itemId} (${lastOk.tag}) is ${JSON.stringify(actual)} in the database; after ${describe(lastOk)} (answered ${lastOk.status}) it should be ${expected.map((s) => JSON.stringify(s)).join(' or ')}`,
      });
    }
    const tag = itemOps[0].tag;
    const tagged = db.items.filter((r) => tag !== undefined && r.note === tag);
    if (tagged.length > 1 || tagged.some((r) => r.id !== itemId)) {
      violations.push({
        rule: 'duplicate-write',
        t: itemOps[0].end,
        entry: itemOps[0],
        message: `${tag} is in the database ${tagged.length} times (ids ${tagged.map((r) => r.id).join(', ')})`,
      });
    }
    const added = addedEvents.get(itemId) ?? 0;
    const addOk = itemOps.find((op) => op.action === 'add' && op.outcome === 'ok');
    if (added > 1) {
      violations.push({
        rule: 'duplicate-write',
        t: itemOps[0].end,
        entry: itemOps[0],
        message: `item ${itemId} (${tag}) has ${added} item:added events`,
      });
    } else if (addOk && added === 0) {
      violations.push({
        rule: 'lost-write',
        t: addOk.end,
        entry: addOk,
        message: `item ${itemId} (${tag}) was answered ${addOk.status} but has no item:added event`,
      });
    }
  }

  violations.push(...checkListName(ops, db));
  violations.push(...checkReadYourWrites(ops));
  return violations;
}

/** List renames (one client, one after another): the final name is the last acknowledged one, or a later unanswered one. */
function checkListName(ops: OpEntry[], db: DbSnapshot): Violation[] {
  const renames = ops.filter((op) => op.action === 'renameList' && (op.outcome !== 'rejected' || op.indeterminate));
  const lastOkAt = renames.map((op) => op.outcome).lastIndexOf('ok');
  if (lastOkAt < 0) return [];
  const allowed = new Set(renames.slice(lastOkAt).map((op) => op.name));
  if (allowed.has(db.list.name)) return [];
  const lastOk = renames[lastOkAt];
  return [
    {
      rule: 'stale-value',
      t: lastOk.end,
      entry: lastOk,
      message: `the list is named ${JSON.stringify(db.list.name)}; after ${describe(lastOk)} (answered ${lastOk.status}) it should be ${[...allowed].map((n) => JSON.stringify(n)).join(' or ')}`,
    },
  ];
}

/** A client's GET shows the items it added (answered 2xx before the GET started) and has not started deleting. */
function checkReadYourWrites(ops: OpEntry[]): Violation[] {
  const violations: Violation[] = [];
  for (const get of ops) {
    if (get.action !== 'get' || get.outcome !== 'ok' || !get.itemIds) continue;
    const seen = new Set(get.itemIds);
    for (const add of ops) {
      if (add.client !== get.client || add.action !== 'add' || add.outcome !== 'ok' || add.end > get.start) continue;
      const deleting = ops.some(
        (op) => op.itemId === add.itemId && op.action === 'delete' && op.start < get.end && op.client === get.client,
      );
      if (!deleting && !seen.has(add.itemId!)) {
        violations.push({
          rule: 'read-your-writes',
          t: get.end,
          entry: get,
          message: `${get.client}'s GET (op ${get.op}) lacks item ${add.itemId} (${add.tag}) it added before (op ${add.op})`,
        });
      }
    }
  }
  return violations;
}

function describe(op: OpEntry): string {
  const what = op.tag ?? op.itemId ?? op.userId ?? '';
  const value =
    op.name !== undefined ? ` → ${JSON.stringify(op.name)}` : op.checked !== undefined ? ` → ${op.checked}` : '';
  return `op ${op.op} ${op.action} ${what}${value}`.replace(/\s+$/, '');
}

// ---------------------------------------------------------------------------------------
// Streams: every socket's durable frames, across its reconnects, are the list's events in
// seq order, with no gap and no duplicate, ending at the list's final seq.

export function checkStreams(
  history: readonly HistoryEntry[],
  db: DbSnapshot,
  options: Pick<CheckOptions, 'allowResync'> = {},
): Violation[] {
  const violations: Violation[] = [];
  const eventAt = new Map(db.events.map((e) => [e.seq, e]));
  const sockets = new Set<string>();
  for (const e of history) if (e.kind === 'conn' || e.kind === 'frame') sockets.add(e.socket);

  for (const socket of sockets) {
    /** What the device holds, as a client applies frames: the next seq only, or a reloaded list's seq. */
    let position: number | undefined;
    let last: { t: number; entry: HistoryEntry } | undefined;
    let pendingResync: FrameEntry | null = null;
    /** Durable frames of the open connection, split where a resync moved the stream on. */
    let segment: { since: number; frames: FrameEntry[] } | null = null;
    const flag = (rule: Rule, entry: HistoryEntry, t: number, message: string) =>
      violations.push({ rule, t, entry, message });
    const endSegment = () => {
      if (segment) violations.push(...judgeSegment(socket, segment.since, segment.frames, eventAt));
      segment = null;
    };

    for (const e of history) {
      if (e.kind === 'op' && e.socket === socket && e.action === 'reload' && e.outcome === 'ok') {
        position = e.seq;
        pendingResync = null;
        last = { t: e.end, entry: e };
        continue;
      }
      if ((e.kind !== 'conn' && e.kind !== 'frame') || e.socket !== socket) continue;
      last = { t: e.t, entry: e };
      if (e.kind === 'conn') {
        if (e.event === 'close') endSegment();
        if (e.event !== 'open') continue;
        endSegment();
        if (pendingResync) {
          flag(
            'resync',
            pendingResync,
            pendingResync.t,
            `${socket} got resync and reconnected without reloading the list`,
          );
          pendingResync = null;
        }
        const since = e.since ?? 0;
        if (position !== undefined && since !== position) {
          flag('since-mismatch', e, e.t, `${socket} reconnected with since=${since} while holding seq ${position}`);
        }
        position = since;
        segment = { since, frames: [] };
        continue;
      }
      if (e.type === 'resync') {
        if (!options.allowResync) {
          flag('resync', e, e.t, `${socket} (connection ${e.conn}) got resync to seq ${e.resyncSeq}`);
        } else {
          pendingResync = e;
        }
        endSegment();
        segment = { since: e.resyncSeq ?? 0, frames: [] };
        continue;
      }
      if (e.seq === undefined) continue;
      segment?.frames.push(e);
      if (position === e.seq - 1) position = e.seq;
    }
    endSegment();
    if (pendingResync) {
      flag('resync', pendingResync, pendingResync.t, `${socket} got resync and never reloaded the list`);
    }
    if (position !== db.list.seq && last) {
      flag(
        'incomplete-stream',
        last.entry,
        last.t,
        `${socket} ended at seq ${position ?? 'none'}; the list is at ${db.list.seq}`,
      );
    }
  }
  return violations;
}

/** One connection's durable frames after `since` (or after a resync): since+1, since+2, … each once, in order, as logged. */
function judgeSegment(
  socket: string,
  since: number,
  frames: FrameEntry[],
  eventAt: Map<number, DbSnapshot['events'][number]>,
): Violation[] {
  const violations: Violation[] = [];
  const seen = new Set<number>();
  let highest = since;
  for (const f of frames) {
    const seq = f.seq!;
    const where = `${socket} (connection ${f.conn})`;
    if (seq <= since || seen.has(seq)) {
      violations.push({ rule: 'duplicate-frame', t: f.t, entry: f, message: `${where} got seq ${seq} again` });
    } else if (seq < highest) {
      violations.push({
        rule: 'reordered-frame',
        t: f.t,
        entry: f,
        message: `${where} got seq ${seq} after ${highest}`,
      });
    }
    const logged = eventAt.get(seq);
    if (logged && logged.type !== f.type) {
      violations.push({
        rule: 'frame-mismatch',
        t: f.t,
        entry: f,
        message: `${where} got ${f.type} as seq ${seq}; the log has ${logged.type} there`,
      });
    }
    seen.add(seq);
    highest = Math.max(highest, seq);
  }
  const missing: number[] = [];
  for (let seq = since + 1; seq < highest; seq++) if (!seen.has(seq)) missing.push(seq);
  if (missing.length > 0) {
    const skipped = frames.find((f) => f.seq! > missing[0])!;
    const shown = missing.length > 5 ? `${missing.slice(0, 5).join(', ')} … (${missing.length})` : missing.join(', ');
    violations.push({
      rule: 'gap',
      t: skipped.t,
      entry: skipped,
      message: `${socket} (connection ${skipped.conn}) got seq ${skipped.seq} but never ${shown}`,
    });
  }
  return violations;
}

// ---------------------------------------------------------------------------------------
// Answers: no 401 because of a fault; no 5xx except 503 with Retry-After while the
// database is unreachable (or the instance is shutting down); no request dropped by a
// shutting-down instance.

function excusedBy(faults: FaultEntry[], instance: string, start: number, end: number, recoveryMs: number) {
  return faults.find(
    (f) =>
      (f.dbUnreachable.includes(instance) || f.dbPartial.includes(instance) || f.draining.includes(instance)) &&
      start <= f.end + recoveryMs &&
      end >= f.start,
  );
}

/**
 * A request a shutting-down instance took and then dropped: it should have been answered (in
 * flight: drained) or refused (a new connection: ECONNREFUSED), so the client can move on.
 * Only the first moments after the signal are spared, when an idle keep-alive connection
 * may close just as a request is sent on it.
 */
const KEEP_ALIVE_RACE_MS = 200;

function cutByShutdown(faults: FaultEntry[], e: HttpEntry): FaultEntry | undefined {
  if (e.error === 'ECONNREFUSED') return undefined;
  return faults.find(
    (f) => f.draining.includes(e.instance) && e.start >= f.start + KEEP_ALIVE_RACE_MS && e.start <= f.end,
  );
}

export function checkAnswers(
  history: readonly HistoryEntry[],
  options: Pick<CheckOptions, 'recoveryMs'> = {},
): Violation[] {
  const recoveryMs = options.recoveryMs ?? DEFAULTS.recoveryMs;
  const faults = ofKind(history, 'fault');
  const violations: Violation[] = [];
  const judge = (
    entry: HttpEntry | ConnEntry,
    what: string,
    status: number,
    retryAfter: string | undefined,
    start: number,
    end: number,
  ) => {
    if (status === 401) {
      violations.push({ rule: 'unauthorized', t: end, entry, message: `${what} was answered 401` });
    } else if (status >= 500 && status !== 503) {
      violations.push({ rule: 'server-error', t: end, entry, message: `${what} was answered ${status}` });
    } else if (status === 503 && !retryAfter) {
      violations.push({ rule: 'server-error', t: end, entry, message: `${what} was answered 503 without Retry-After` });
    } else if (status === 503 && !excusedBy(faults, entry.instance, start, end, recoveryMs)) {
      violations.push({
        rule: 'unexpected-503',
        t: end,
        entry,
        message: `${what} was answered 503 while the database was reachable from ${entry.instance}`,
      });
    }
  };
  for (const e of history) {
    const draining = e.kind === 'http' && e.status === undefined && cutByShutdown(faults, e);
    if (draining) {
      violations.push({
        rule: 'cut-by-shutdown',
        t: e.end,
        entry: e,
        message: `${e.client} ${e.method} ${e.path} (op ${e.op}, attempt ${e.attempt}) was cut (${e.error}) by instance ${e.instance}, ${e.start - draining.start} ms after its SIGTERM`,
      });
    } else if (e.kind === 'http' && e.status !== undefined) {
      judge(
        e,
        `${e.client} ${e.method} ${e.path} (op ${e.op}, attempt ${e.attempt}, instance ${e.instance})`,
        e.status,
        e.retryAfter,
        e.start,
        e.end,
      );
    } else if (e.kind === 'conn' && e.event === 'refused' && e.status !== undefined) {
      judge(
        e,
        `${e.socket}'s handshake (connection ${e.conn}, instance ${e.instance})`,
        e.status,
        e.retryAfter,
        e.t,
        e.t,
      );
    } else if (e.kind === 'conn' && e.event === 'close' && e.code === 4401) {
      violations.push({
        rule: 'unauthorized',
        t: e.t,
        entry: e,
        message: `${e.socket} (connection ${e.conn}) was closed with 4401 (session ended)`,
      });
    }
  }
  return violations;
}

// ---------------------------------------------------------------------------------------
// Readiness: /ready is 503 while the database is unreachable, 200 again within
// `recoveryMs` of its return, and 200 otherwise.

/**
 * A window's end is when the suite saw the database back (a restarted cluster answers a
 * little before its start-up check returns): /ready is held to 503 for answers given up to
 * this long before it.
 */
const RETURN_MARGIN_MS = 500;

export function checkReadiness(
  history: readonly HistoryEntry[],
  options: Pick<CheckOptions, 'recoveryMs' | 'detectMs'> = {},
): Violation[] {
  const recoveryMs = options.recoveryMs ?? DEFAULTS.recoveryMs;
  const detectMs = options.detectMs ?? DEFAULTS.detectMs;
  const faults = ofKind(history, 'fault');
  const probes = ofKind(history, 'ready');
  const violations: Violation[] = [];
  for (const instance of new Set(probes.map((p) => p.instance))) {
    const mine = probes.filter((p) => p.instance === instance).sort((a, b) => a.start - b.start);
    const gone = Math.min(
      ...faults.filter((f) => f.killed.includes(instance) || f.draining.includes(instance)).map((f) => f.start),
    );
    const windows = faults.filter((f) => f.dbUnreachable.includes(instance) || f.dbPartial.includes(instance));
    for (const w of windows) {
      if (w.start >= gone) continue;
      for (const p of w.dbUnreachable.includes(instance) ? mine : []) {
        if (p.end >= w.start + detectMs && p.end <= w.end - RETURN_MARGIN_MS && p.status === 200) {
          violations.push({
            rule: 'ready',
            t: p.end,
            entry: p,
            message: `/ready on ${instance} said 200 while the database was unreachable (${w.name})`,
          });
          break;
        }
      }
      if (w.end + recoveryMs >= gone) continue;
      const back = mine.find((p) => p.start >= w.end && p.status === 200);
      if (!back || back.end > w.end + recoveryMs) {
        const after = mine.filter((p) => p.start >= w.end);
        violations.push({
          rule: 'ready',
          t: w.end + recoveryMs,
          entry: after.find((p) => p.end > w.end + recoveryMs) ?? after.at(-1) ?? w,
          message: `/ready on ${instance} did not say 200 within ${recoveryMs} ms of the database's return (${w.name})${back ? `: first 200 after ${back.end - w.end} ms` : ''}`,
        });
      }
    }
    const excused = (p: ReadyEntry) =>
      p.end >= gone || windows.some((w) => p.end >= w.start && p.start <= w.end + recoveryMs);
    const unready = mine.find((p) => p.status !== 200 && !excused(p));
    if (unready) {
      violations.push({
        rule: 'ready',
        t: unready.end,
        entry: unready,
        message: `/ready on ${instance} answered ${unready.status ?? unready.error} while the database was reachable`,
      });
    }
  }
  return violations;
}

// ---------------------------------------------------------------------------------------
// Processes: no server restarts or dies unless a scenario killed it; SIGTERM drains and
// exits 0 before its shutdown timeout (in-flight requests done, clients told to go).

export function checkInstances(
  history: readonly HistoryEntry[],
  options: Pick<CheckOptions, 'shutdownTimeoutMs'> = {},
): Violation[] {
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? DEFAULTS.shutdownTimeoutMs;
  const faults = ofKind(history, 'fault');
  const violations: Violation[] = [];
  for (const f of faults.filter((f) => f.draining.length > 0 && f.end - f.start >= shutdownTimeoutMs)) {
    const served = ofKind(history, 'http').filter(
      (e) => f.draining.includes(e.instance) && e.status !== undefined && e.start >= f.start + KEEP_ALIVE_RACE_MS,
    ).length;
    violations.push({
      rule: 'drain-timeout',
      t: f.end,
      entry: f,
      message: `${f.draining.join(', ')} took ${f.end - f.start} ms to exit after SIGTERM: the drain ran into the ${shutdownTimeoutMs} ms shutdown timeout (and cut what was still open), having taken ${served} new requests after the signal`,
    });
  }
  const byInstance = new Map<string, InstanceEntry[]>();
  for (const e of ofKind(history, 'instance')) byInstance.set(e.instance, [...(byInstance.get(e.instance) ?? []), e]);
  for (const [instance, entries] of byInstance) {
    const starts = entries.filter((e) => e.event === 'started');
    if (starts.length > 1) {
      violations.push({
        rule: 'restart',
        t: starts[1].t,
        entry: starts[1],
        message: `instance ${instance} was started ${starts.length} times`,
      });
    }
    for (const exit of entries.filter((e) => e.event === 'exited')) {
      const killed = faults.find((f) => f.killed.includes(instance) && f.start <= exit.t);
      const drained = faults.find((f) => f.draining.includes(instance) && f.start <= exit.t);
      if (killed) continue;
      if (drained && exit.code === 0) continue;
      violations.push({
        rule: 'restart',
        t: exit.t,
        entry: exit,
        message: drained
          ? `instance ${instance} exited with ${exit.code ?? exit.signal} after SIGTERM (expected 0)`
          : `instance ${instance} exited unexpectedly (${exit.code ?? exit.signal})`,
      });
    }
  }
  return violations;
}

// ---------------------------------------------------------------------------------------
// Membership: a removed member's sockets close (4403) and receive nothing committed after
// the removal, until they are members again.

interface Absence {
  /** The seq of the event that removed them. */
  removed: number;
  /** The seq of the event that added them back (Infinity: never). */
  readded: number;
}

export function absences(db: DbSnapshot, userId: string): Absence[] {
  const result: Absence[] = [];
  let member = true;
  for (const event of [...db.events].sort((a, b) => a.seq - b.seq)) {
    const members = (event.payload as { members?: { id: string }[] }).members;
    if (event.type !== 'list:updated' || !members) continue;
    const now = members.some((m) => m.id === userId);
    if (member && !now) result.push({ removed: event.seq, readded: Infinity });
    if (!member && now) result.at(-1)!.readded = event.seq;
    member = now;
  }
  return result;
}

export function checkMembership(
  history: readonly HistoryEntry[],
  db: DbSnapshot,
  options: Pick<CheckOptions, 'churnedUsers'> = {},
): Violation[] {
  const violations: Violation[] = [];
  for (const user of options.churnedUsers ?? []) {
    const gaps = absences(db, user);
    const frames = ofKind(history, 'frame').filter((f) => f.user === user && f.seq !== undefined);
    for (const { removed, readded } of gaps) {
      const leaked = frames.find((f) => f.seq! > removed && f.seq! < readded);
      if (leaked) {
        violations.push({
          rule: 'membership-leak',
          t: leaked.t,
          entry: leaked,
          message: `${leaked.socket} (connection ${leaked.conn}) got seq ${leaked.seq}, committed while its user was not a member (removed at ${removed}, re-added at ${readded})`,
        });
      }
      for (const got of frames.filter((f) => f.seq === removed)) {
        const after = history.slice(history.indexOf(got) + 1);
        const more = after.find(
          (e): e is FrameEntry =>
            e.kind === 'frame' && e.socket === got.socket && e.conn === got.conn && e.seq !== undefined,
        );
        const close = after.find(
          (e): e is ConnEntry =>
            e.kind === 'conn' && e.socket === got.socket && e.conn === got.conn && e.event === 'close',
        );
        if (more || !close || (close.code !== 4403 && !close.byClient)) {
          violations.push({
            rule: 'not-closed',
            t: (more ?? close)?.t ?? got.t,
            entry: more ?? close ?? got,
            message: `${got.socket} (connection ${got.conn}) got its user's removal (seq ${removed}) but ${more ? `then seq ${more.seq}` : close ? `was closed with ${close.code}, not 4403` : 'stayed open'}`,
          });
        }
      }
    }
  }
  return violations;
}

/** Counts per rule, for summaries. */
export function countByRule(violations: Violation[]): Partial<Record<Rule, number>> {
  const counts: Partial<Record<Rule, number>> = {};
  for (const v of violations) counts[v.rule] = (counts[v.rule] ?? 0) + 1;
  return counts;
}

/**
 * What a fault scenario observed, in the order it happened (times are Date.now() of the
 * test process). The checker reads nothing else but this and a final database snapshot.
 */

/** One HTTP attempt and its answer (no `status`: no answer — network error or timeout). */
export interface HttpEntry {
  kind: 'http';
  /** The logical operation this attempt belongs to (its retries share it). */
  op: number;
  attempt: number;
  client: string;
  instance: string;
  method: string;
  path: string;
  idempotencyKey?: string;
  start: number;
  end: number;
  status?: number;
  retryAfter?: string;
  body?: unknown;
  error?: string;
}

export type Action = 'add' | 'check' | 'rename' | 'delete' | 'get' | 'renameList' | 'removeMember' | 'join' | 'reload';

/**
 * A logical operation, recorded when it ended: `ok` (a 2xx, or a 404 to a DELETE retried
 * after an attempt without an answer), `rejected` (another definitive answer) or
 * `abandoned` (no definitive answer within the retry budget: its outcome is unknown).
 */
export interface OpEntry {
  kind: 'op';
  op: number;
  client: string;
  action: Action;
  /** The socket a `reload` is for. */
  socket?: string;
  itemId?: string;
  /** The item's tag (its `note`), stable across renames: one client item, one tag. */
  tag?: string;
  name?: string;
  checked?: boolean;
  userId?: string;
  start: number;
  end: number;
  outcome: 'ok' | 'rejected' | 'abandoned';
  status?: number;
  /** A reload's (or GET's) list seq; a GET's item ids. */
  seq?: number;
  itemIds?: string[];
  attempts: number;
  /** An attempt got no definitive answer (none, or a 5xx) and the operation did not end in a 2xx: it may have applied. */
  indeterminate?: boolean;
}

/** A socket of one device: each connection attempt and how it ended. */
export interface ConnEntry {
  kind: 'conn';
  socket: string;
  user: string;
  /** 1-based index of the connection attempt on this socket. */
  conn: number;
  instance: string;
  t: number;
  event: 'open' | 'refused' | 'error' | 'close';
  since?: number;
  /** HTTP status of a refused handshake. */
  status?: number;
  retryAfter?: string;
  code?: number;
  reason?: string;
  /** A close the client asked for (its reconnect loop, a silent socket, the end of the run). */
  byClient?: boolean;
  error?: string;
}

export interface FrameEntry {
  kind: 'frame';
  socket: string;
  user: string;
  conn: number;
  instance: string;
  t: number;
  type: string;
  seq?: number;
  /** resync's seq */
  resyncSeq?: number;
}

/**
 * A fault window. `dbUnreachable` lists the instances that could not reach the database in
 * it (503 with Retry-After is then allowed from them, and /ready must say 503); `dbPartial`
 * those that could use their open connections but not open new ones (503 allowed, /ready
 * may say either); `draining` the instances that were shutting down; `killed` the instances
 * that died for good. After a database window /ready must say 200 again within the recovery time.
 */
export interface FaultEntry {
  kind: 'fault';
  name: string;
  start: number;
  end: number;
  dbUnreachable: string[];
  dbPartial: string[];
  draining: string[];
  killed: string[];
}

export interface ReadyEntry {
  kind: 'ready';
  instance: string;
  start: number;
  end: number;
  status?: number;
  error?: string;
}

export interface InstanceEntry {
  kind: 'instance';
  instance: string;
  t: number;
  event: 'started' | 'exited';
  pid: number;
  code?: number | null;
  signal?: string | null;
}

export type HistoryEntry = HttpEntry | OpEntry | ConnEntry | FrameEntry | FaultEntry | ReadyEntry | InstanceEntry;

/** Append-only, in observation order. */
export class History {
  readonly entries: HistoryEntry[] = [];
  private nextOp = 1;

  record<E extends HistoryEntry>(entry: E): E {
    this.entries.push(entry);
    return entry;
  }

  newOp(): number {
    return this.nextOp++;
  }

  of<K extends HistoryEntry['kind']>(kind: K): Extract<HistoryEntry, { kind: K }>[] {
    return this.entries.filter((e): e is Extract<HistoryEntry, { kind: K }> => e.kind === kind);
  }
}

/** The database as it stands after the run, read directly (not through a proxy). */
export interface DbSnapshot {
  list: { id: string; name: string; seq: number };
  items: { id: string; name: string; checked: boolean; note: string | null }[];
  /** The list's event log, by seq. */
  events: { seq: number; type: string; payload: unknown }[];
}

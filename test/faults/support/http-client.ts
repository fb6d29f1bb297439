import { Agent, request } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Action, History, HttpEntry, OpEntry } from './history';
import { sleep } from './timing';

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface RawRequest {
  port: number;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
  timeoutMs: number;
  agent?: Agent;
}

/** One HTTP request to 127.0.0.1; rejects on a network error or when no answer came within `timeoutMs`. */
export function httpRequest(r: RawRequest): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const payload = r.body === undefined ? undefined : JSON.stringify(r.body);
    const req = request(
      {
        host: '127.0.0.1',
        port: r.port,
        method: r.method,
        path: r.path,
        agent: r.agent ?? false,
        headers: { ...r.headers, ...(payload ? { 'Content-Type': 'application/json' } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = text ? (JSON.parse(text) as unknown) : null;
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      },
    );
    req.setTimeout(r.timeoutMs, () => req.destroy(new Error(`no answer within ${r.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

export interface Endpoint {
  name: string;
  port: number;
}

export interface OperationRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
  /** Sends an Idempotency-Key (the same on every attempt). */
  idempotent?: boolean;
  /** Statuses to wait out and retry (e.g. 404 while re-adding a member); 5xx and no-answer always are. */
  retryOn?: number[];
  /** What the operation's history entry keeps of a 2xx answer (a list's seq and item ids). */
  keep?: (body: unknown) => Pick<OpEntry, 'seq' | 'itemIds'>;
}

export type OperationMeta = Omit<
  OpEntry,
  'kind' | 'op' | 'client' | 'action' | 'start' | 'end' | 'outcome' | 'status' | 'attempts'
>;

const REQUEST_TIMEOUT_MS = 10_000;
const MAX_RETRY_AFTER_MS = 5000;

function retryAfterMs(header: string | undefined, fallbackMs: number): number {
  if (!header) return fallbackMs;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}

/** A network error's code (ECONNRESET, ECONNREFUSED…) or message. */
export function errorMessage(error: unknown): string {
  const e = error as { code?: string; message?: string };
  return e.code ?? e.message ?? String(error);
}

/**
 * A device's HTTP client, as a careful app would write it: keep-alive connections to its
 * instance, and retries of anything without a definitive answer — no answer (network error,
 * timeout), 5xx (503 after its Retry-After), 409 "still being processed" to a keyed POST —
 * with the same Idempotency-Key, moving to the other instance when its own is unreachable.
 * Every attempt goes into the history, and the operation's outcome when it ends.
 */
export class HttpClient {
  private readonly agents = new Map<string, Agent>();
  private current: number;
  /** The attempt waiting for its answer, if any (one at a time per device). */
  inFlight: { instance: string; method: string; keyed: boolean; since: number } | null = null;

  constructor(
    readonly id: string,
    private readonly token: string,
    private readonly endpoints: Endpoint[],
    private readonly history: History,
    home: number,
    /** How long an operation keeps retrying before it is given up (its outcome then unknown). */
    private readonly budgetMs = 20_000,
  ) {
    this.current = home % endpoints.length;
  }

  async operation(action: Action, meta: OperationMeta, req: OperationRequest): Promise<OpEntry & { answer?: unknown }> {
    const op = this.history.newOp();
    const start = Date.now();
    const key = req.idempotent ? randomUUID() : undefined;
    let attempt = 0;
    let unknownOutcome = false;
    let last: HttpEntry | undefined;
    for (;;) {
      attempt++;
      const endpoint = this.endpoints[this.current];
      const entry: HttpEntry = {
        kind: 'http',
        op,
        attempt,
        client: this.id,
        instance: endpoint.name,
        method: req.method,
        path: req.path,
        idempotencyKey: key,
        start: Date.now(),
        end: 0,
      };
      let answer: RawAnswer | undefined;
      this.inFlight = { instance: endpoint.name, method: req.method, keyed: key !== undefined, since: entry.start };
      try {
        answer = await httpRequest({
          port: endpoint.port,
          method: req.method,
          path: req.path,
          body: req.body,
          timeoutMs: REQUEST_TIMEOUT_MS,
          agent: this.agent(endpoint.name),
          headers: { Authorization: `Bearer ${this.token}`, ...(key ? { 'Idempotency-Key': key } : {}) },
        });
        entry.status = answer.status;
        const retryAfter = answer.headers['retry-after'];
        if (typeof retryAfter === 'string') entry.retryAfter = retryAfter;
        if (answer.status >= 400) entry.body = answer.body;
      } catch (error) {
        entry.error = errorMessage(error);
      }
      this.inFlight = null;
      entry.end = Date.now();
      last = this.history.record(entry);

      const status = answer?.status;
      let wait: number | null = null;
      if (status === undefined) {
        unknownOutcome = true;
        this.current = (this.current + 1) % this.endpoints.length;
        wait = Math.min(100 * attempt, 1000);
      } else if (status >= 500) {
        unknownOutcome = true;
        wait = retryAfterMs(entry.retryAfter, Math.min(200 * attempt, 1000));
      } else if (status === 409 && key) {
        // The contract's answer to a keyed retry while the first attempt still runs (no other
        // 409 can happen here: item ids are fresh UUIDs). Its Retry-After, if any, is honoured.
        wait = retryAfterMs(entry.retryAfter, 500);
      } else if (req.retryOn?.includes(status)) {
        wait = 200;
      }
      if (wait === null) {
        const gone = req.method === 'DELETE' && status === 404 && unknownOutcome;
        const ok = (status! >= 200 && status! < 300) || gone;
        const kept = ok && req.keep && status !== 404 ? req.keep(answer?.body) : {};
        const maybe = !ok && unknownOutcome ? { indeterminate: true } : {};
        return this.finish(
          action,
          { ...meta, ...kept, ...maybe },
          op,
          start,
          attempt,
          ok ? 'ok' : 'rejected',
          status,
          answer?.body,
        );
      }
      if (Date.now() + wait - start > this.budgetMs) {
        const maybe = unknownOutcome ? { indeterminate: true } : {};
        return this.finish(action, { ...meta, ...maybe }, op, start, attempt, 'abandoned', last.status, undefined);
      }
      await sleep(wait);
    }
  }

  close(): void {
    for (const agent of this.agents.values()) agent.destroy();
  }

  private finish(
    action: Action,
    meta: OperationMeta,
    op: number,
    start: number,
    attempts: number,
    outcome: OpEntry['outcome'],
    status: number | undefined,
    answer: unknown,
  ): OpEntry & { answer?: unknown } {
    const entry = this.history.record<OpEntry>({
      kind: 'op',
      op,
      client: this.id,
      action,
      ...meta,
      start,
      end: Date.now(),
      outcome,
      status,
      attempts,
    });
    return { ...entry, answer };
  }

  private agent(instance: string): Agent {
    let agent = this.agents.get(instance);
    if (!agent) {
      agent = new Agent({ keepAlive: true, maxSockets: 1 });
      this.agents.set(instance, agent);
    }
    return agent;
  }
}

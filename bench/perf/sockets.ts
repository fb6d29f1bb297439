/**
 * What the WebSocket scenarios (bench/perf/scenarios/{fan-out,replay,idle-memory}.ts) share:
 * households seeded through the app's API (lists of members × devices, each device its own
 * session, i.e. its own login), sockets opened the way the app opens them
 * (`/ws/lists/:id?token=`), bounded handshake concurrency, percentiles and a process's RSS.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { WebSocket } from 'ws';
import { Api } from '../http-client';
import type { RunResult, SeedContext } from './scenario';
import { inParallel } from './seed';

export { inParallel };

export const PASSWORD = 'bench-socket-password-1';

/** One device: a session of one member, which opens one socket on the household's list. */
export interface Device {
  userId: string;
  token: string;
}

export interface Household {
  listId: string;
  /** members × devices, member-major: devices[m * devicesPerMember + d]. */
  devices: Device[];
}

interface AuthResponse {
  token: string;
  user: { id: string };
  listIds: string[];
}

export function sizeFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return value;
}

/** A figure of a run by name (a target reads its contender's runs with it). */
export function figure(run: RunResult, name: string): number {
  const found = run.figures.find((f) => f.name === name);
  if (!found) throw new Error(`no figure ${name}`);
  return found.value;
}

/** The median of `values` (any order). */
export const median = (values: number[]): number =>
  quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  );

const run = randomBytes(4).toString('hex');
let users = 0;

async function register(api: Api, label: string): Promise<{ email: string; auth: AuthResponse }> {
  const email = `ws-${run}-${++users}-${label}@bench.example.com`;
  const auth = await api.post<AuthResponse>('/auth/register', undefined, {
    email,
    password: PASSWORD,
    name: `Bench ${label}`,
  });
  return { email, auth };
}

/** The household for the socket scenarios: 4 members × 5 devices, a socket each. */
export const HOUSEHOLD = { members: 4, devicesPerMember: 5 };
/** Sockets of one household's list. */
export const SOCKETS_PER_LIST = HOUSEHOLD.members * HOUSEHOLD.devicesPerMember;

/**
 * `lists` households for the socket scenario `scenario`: the first member registers (their
 * first list is the household's), the others register and join with its invite code, and every
 * member signs in again until they have `devicesPerMember` sessions. All through the app's API.
 */
export async function seedHouseholds(
  context: Pick<SeedContext, 'appUrl' | 'log'>,
  scenario: string,
  shape: { lists: number; members: number; devicesPerMember: number },
  concurrency = 8,
): Promise<Household[]> {
  const { log } = context;
  log(`${scenario}: seeding ${shape.lists} households of ${shape.members} members × ${shape.devicesPerMember} devices`);
  const api = new Api(context.appUrl);
  const started = Date.now();
  let done = 0;
  const households = await inParallel(
    Array.from({ length: shape.lists }, (_, index) => async (): Promise<Household> => {
      const owner = await register(api, `h${index}-m0`);
      const listId = owner.auth.listIds[0];
      const { inviteCode } = await api.get<{ inviteCode: string }>(`/lists/${listId}`, owner.auth.token);
      const members = [owner];
      for (let m = 1; m < shape.members; m++) {
        const member = await register(api, `h${index}-m${m}`);
        await api.post(`/lists/join`, member.auth.token, { inviteCode });
        members.push(member);
      }
      const devices: Device[] = [];
      for (const member of members) {
        devices.push({ userId: member.auth.user.id, token: member.auth.token });
        for (let d = 1; d < shape.devicesPerMember; d++) {
          const { token } = await api.post<AuthResponse>('/auth/login', undefined, {
            email: member.email,
            password: PASSWORD,
          });
          devices.push({ userId: member.auth.user.id, token });
        }
      }
      if (++done % 50 === 0)
        log(`  seeded ${done}/${shape.lists} households (${Math.round((Date.now() - started) / 1000)} s)`);
      return { listId, devices };
    }),
    concurrency,
  );
  log(`  seeded ${households.length} households in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return households;
}

/** A socket that did not open: the HTTP status of the refused handshake (0: no answer) and its body. */
export interface Refusal {
  status: number;
  body: string;
}

/** Opens `ws://…/ws/lists/:id?<query>`; resolves once open, or with the refusal. */
export function openSocket(
  wsUrl: string,
  listId: string,
  query: string,
  onMessage?: (data: Buffer) => void,
): Promise<WebSocket | Refusal> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${wsUrl}/ws/lists/${listId}?${query}`, { perMessageDeflate: false });
    if (onMessage) ws.on('message', (data: Buffer) => onMessage(data));
    let settled = false;
    ws.once('open', () => {
      settled = true;
      resolve(ws);
    });
    ws.once('unexpected-response', (_request, response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        settled = true;
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8').slice(0, 300) });
      });
      response.on('error', () => undefined);
    });
    ws.on('error', (error: Error) => {
      if (!settled) {
        settled = true;
        resolve({ status: 0, body: error.message });
      }
    });
  });
}

export function isRefusal(value: WebSocket | Refusal): value is Refusal {
  return !(value instanceof WebSocket);
}

/** Closes every socket and waits (at most `timeoutMs`) until they are closed. */
export async function closeAll(sockets: WebSocket[], timeoutMs = 10_000): Promise<void> {
  await Promise.race([
    Promise.all(
      sockets.map(
        (ws) =>
          new Promise<void>((resolve) => {
            if (ws.readyState === WebSocket.CLOSED) return resolve();
            ws.once('close', () => resolve());
            ws.close();
          }),
      ),
    ),
    new Promise((resolve) => setTimeout(resolve, timeoutMs)),
  ]);
  for (const ws of sockets) if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
}

/** Refusals grouped for the report: "409 …message…" → count. */
export function describeRefusals(refusals: Refusal[]): string {
  const counts = new Map<string, number>();
  for (const refusal of refusals) {
    let message = refusal.body;
    try {
      message = (JSON.parse(refusal.body) as { message?: string }).message ?? message;
    } catch {
      // not JSON: keep the text
    }
    const key = `${refusal.status} ${message}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, count]) => `${count}× ${key}`).join('; ');
}

/** The value at quantile `q` (0..1) of `sorted` (ascending), nearest rank. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

export function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Resident memory of a process in KiB (VmRSS of /proc/<pid>/status). */
export async function rssKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * What every socket scenario needs the app to allow (merged into the bench server's env):
 * handshakes per user per minute lifted (each scenario reconnects the same sessions run after
 * run), and the per-user/per-list socket limits above what the households open.
 */
export const SOCKET_SERVER_ENV: Record<string, string> = {
  WS_HANDSHAKES_PER_MIN: '100000',
  WS_MAX_SOCKETS_PER_USER: '100',
  WS_MAX_SOCKETS_PER_LIST: '1000',
};

/** A line to stdout / stderr (the bench prints; the app's lint bans console). */
export const out = (line: string) => process.stdout.write(`${line}\n`);
export const err = (line: string) => process.stderr.write(`${line}\n`);

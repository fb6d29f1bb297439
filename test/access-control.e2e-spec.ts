import { deriveKey, hmac } from '../src/common/crypto/secrets';
import { randomUUID } from 'node:crypto';
import type { Response, Test } from 'supertest';
import { INestApplication } from '@nestjs/common';
import { DiscoveryService, ModulesContainer } from '@nestjs/core';
import { GATEWAY_METADATA, GATEWAY_OPTIONS, MESSAGE_METADATA } from '@nestjs/websockets/constants';
import { ListAccess } from '../src/access/list-access.service';
import { useTestApp } from './support/app';
import { eventually } from './support/eventually';
import { withoutRequestId } from './support/expect';
import { Registered, registerUser } from './support/factories';
import { addItem, buy, getList } from './support/lists';
import { keyOf, linkParts, photo, receiptSteps, Trip } from './support/receipts';
import { Frame, RefusedHandshake, TestSocket, wsUrl } from './support/ws-client';

/**
 * OWASP API1 (broken object-level authorization), generated from the app's own route table.
 *
 * Every operation of `/docs-json` (which test/openapi.e2e-spec.ts proves is exactly what the
 * router serves) has an entry here: either in MATRIX, saying how each id it takes is filled,
 * or in NO_FOREIGN_ID, saying why it takes none. A route added later without an entry fails
 * the first test below, so it cannot go unchecked.
 *
 * For each MATRIX operation, an outsider (a stranger, then a member who was removed and kept
 * every id) sends cells: all ids from the victim's list, then each id alone from the victim's
 * list with the rest their own (my list with your item, your list with my item, …). Each cell
 * must get the refusal the table names, with the same status and body (requestId aside) as
 * the same request with that id random; no table may change and no frame may reach the
 * victim list's sockets.
 */

type IdKind = 'list' | 'item' | 'store' | 'trip' | 'member' | 'session' | 'receiptFile';

interface Refusal {
  status: number;
  message: string;
}

interface Slot {
  /** Path parameter, query parameter or body property name, as in /docs-json. */
  name: string;
  in: 'path' | 'query' | 'body';
  kind: IdKind;
  /** The answer when this is the first foreign (or random) id of the request, in the order the service checks them. */
  refusal: Refusal;
  /**
   * What the foreign id is compared with when a random id would be accepted: `taken`, an id
   * the caller already used on another list of their own.
   */
  baseline?: 'taken';
}

interface Entry {
  /** The status of the same request with the caller's own ids (owner of their list): the control. */
  ok: number;
  /** The ids the operation takes, in the order the service checks them. */
  slots: Slot[];
  /** The rest of a body that would succeed with the caller's own ids. */
  body?: Record<string, unknown>;
  /** Multipart upload of a real photo in the field `receipt`. */
  upload?: true;
  /** Public route whose credential is the caller's own signed receipt link (`expires`, `sig`), not a bearer token. */
  signedLink?: true;
  /** Calls `ListAccess.requireOwner`: a plain member gets 403 (checked against what the service really calls). */
  ownerOnly?: true;
}

const LIST_NOT_FOUND: Refusal = { status: 404, message: 'List not found.' };
const ITEM_NOT_FOUND: Refusal = { status: 404, message: 'Item not found.' };
const STORE_NOT_FOUND: Refusal = { status: 404, message: 'Store not found.' };
const TRIP_NOT_FOUND: Refusal = { status: 404, message: 'Trip not found.' };
const BAD_LINK: Refusal = { status: 403, message: 'This receipt link is not valid.' };
const NOT_OWNER: Refusal = { status: 403, message: 'Only the owner of the list can do that.' };

const list = (name: string): Slot => ({ name, in: 'path', kind: 'list', refusal: LIST_NOT_FOUND });

/** How each operation that takes an id of a list's resource is filled. */
const MATRIX: Record<string, Entry> = {
  'GET /lists/{id}': {
    ok: 200,
    slots: [list('id'), { name: 'storeId', in: 'query', kind: 'store', refusal: STORE_NOT_FOUND }],
  },
  'PATCH /lists/{id}': { ok: 200, slots: [list('id')], body: { name: 'Renamed by someone else' } },
  'DELETE /lists/{id}': { ok: 204, slots: [list('id')], ownerOnly: true },
  'POST /lists/{id}/leave': { ok: 204, slots: [list('id')] },
  'DELETE /lists/{id}/members/{userId}': {
    ok: 204,
    slots: [
      list('id'),
      {
        name: 'userId',
        in: 'path',
        kind: 'member',
        refusal: { status: 404, message: 'That user is not a member of this list.' },
      },
    ],
    ownerOnly: true,
  },
  'POST /lists/{id}/invite-code': { ok: 200, slots: [list('id')], ownerOnly: true },
  'POST /lists/{listId}/items': {
    ok: 201,
    slots: [
      list('listId'),
      // A client-generated id is a new identifier, not a reference: a fresh one creates the item,
      // so it is compared with an id the caller already used on another list of their own. Both
      // are refused alike (items ids are global keys): the answer never says whose the id is.
      {
        name: 'id',
        in: 'body',
        kind: 'item',
        refusal: { status: 409, message: 'That item id is already in use.' },
        baseline: 'taken',
      },
    ],
    body: { name: 'Planted item' },
  },
  'PATCH /lists/{listId}/items/{itemId}': {
    ok: 200,
    slots: [list('listId'), { name: 'itemId', in: 'path', kind: 'item', refusal: ITEM_NOT_FOUND }],
    body: { checked: true, name: 'Tampered' },
  },
  'DELETE /lists/{listId}/items/{itemId}': {
    ok: 204,
    slots: [list('listId'), { name: 'itemId', in: 'path', kind: 'item', refusal: ITEM_NOT_FOUND }],
  },
  'POST /ws/ticket': { ok: 201, slots: [{ name: 'listId', in: 'body', kind: 'list', refusal: LIST_NOT_FOUND }] },
  'GET /lists/{listId}/stores': { ok: 200, slots: [list('listId')] },
  'POST /lists/{listId}/stores': { ok: 201, slots: [list('listId')], body: { name: 'Planted store' } },
  'POST /lists/{listId}/stores/{storeId}/order': {
    ok: 200,
    slots: [list('listId'), { name: 'storeId', in: 'path', kind: 'store', refusal: STORE_NOT_FOUND }],
    body: { order: ['Bread', 'Milk'] },
  },
  'GET /lists/{listId}/trips': {
    ok: 200,
    slots: [
      list('listId'),
      // A page cursor, not an address: one that is not a trip of this list is a bad request,
      // whether it is random or another list's trip.
      {
        name: 'before',
        in: 'query',
        kind: 'trip',
        refusal: { status: 400, message: 'before is not a trip of this list.' },
      },
    ],
  },
  'POST /lists/{listId}/trips': {
    ok: 201,
    slots: [list('listId'), { name: 'storeId', in: 'body', kind: 'store', refusal: STORE_NOT_FOUND }],
  },
  'GET /lists/{listId}/trips/{tripId}': {
    ok: 200,
    slots: [list('listId'), { name: 'tripId', in: 'path', kind: 'trip', refusal: TRIP_NOT_FOUND }],
  },
  'POST /lists/{listId}/trips/{tripId}/receipt': {
    ok: 200,
    slots: [list('listId'), { name: 'tripId', in: 'path', kind: 'trip', refusal: TRIP_NOT_FOUND }],
    upload: true,
  },
  'GET /lists/{listId}/suggestions': { ok: 200, slots: [list('listId')] },
  'GET /receipts/{tripId}/{file}': {
    ok: 200,
    slots: [
      { name: 'tripId', in: 'path', kind: 'trip', refusal: BAD_LINK },
      { name: 'file', in: 'path', kind: 'receiptFile', refusal: BAD_LINK },
    ],
    signedLink: true,
  },
  'DELETE /auth/sessions/{id}': {
    ok: 204,
    slots: [{ name: 'id', in: 'path', kind: 'session', refusal: { status: 404, message: 'Session not found.' } }],
  },
};

/** Operations that take no id of anyone else's resource, and why. */
const NO_FOREIGN_ID: Record<string, string> = {
  'GET /health': 'public liveness probe; no ids',
  'GET /ready': 'public readiness probe; no ids',
  'POST /auth/register': 'public; creates the caller’s own account',
  'POST /auth/login': 'public; email and password are credentials, not ids (throttled as such)',
  'POST /auth/refresh': 'public; the refresh token is a secret credential (unknown → 401), not an id',
  'POST /auth/logout': 'ends the session of the bearer token itself (or all of the caller’s): no id in the request',
  'GET /auth/me': 'the caller, from the token',
  'GET /auth/sessions': 'the caller’s own sessions, from the token',
  'GET /auth/me/export': 'the caller’s own data, from the token',
  'DELETE /auth/me': 'deletes the caller’s own account, from the token (and its password)',
  'POST /auth/password-reset/request': 'public; by email, same answer for any email',
  'POST /auth/password-reset/confirm': 'public; by email and emailed code (a secret), not an id',
  'GET /lists': 'the caller’s own lists, from the token',
  'POST /lists': 'creates a list owned by the caller',
  'POST /lists/join':
    'takes an invite code: a shared secret that grants membership by design (guessing is throttled), not an id',
};

/**
 * The WebSocket surface, which /docs-json does not describe: read from the app's gateways (each
 * path, each client frame type) and covered here, by the cells of `runMatrix` or as taking no id.
 */
const WS_SURFACE: Record<string, string> = {
  'path /ws/lists/:listId':
    'cells: the handshake with my token, with a ticket for my list, with a ticket issued before a removal',
  'frame ping': 'takes no id',
  'frame item:checking': 'payload.itemId: cell "mine with your item" on my own socket',
};

interface OpenApiParameter {
  name: string;
  in: string;
  schema?: { format?: string };
}
interface OpenApiSchema {
  $ref?: string;
  properties?: Record<string, { format?: string }>;
}
interface OpenApiOperation {
  parameters?: OpenApiParameter[];
  requestBody?: { content: Record<string, { schema: OpenApiSchema }> };
}
interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, OpenApiSchema> };
}

const HTTP_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete']);

function operations(doc: OpenApiDocument): Map<string, OpenApiOperation> {
  const ops = new Map<string, OpenApiOperation>();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (HTTP_METHODS.has(method)) ops.set(`${method.toUpperCase()} ${path}`, op);
    }
  }
  return ops;
}

/** Where the operation takes ids: every path parameter, and every query parameter or body property that is a UUID. */
function idsTaken(doc: OpenApiDocument, op: OpenApiOperation): string[] {
  const params = (op.parameters ?? [])
    .filter((p) => p.in === 'path' || (p.in === 'query' && p.schema?.format === 'uuid'))
    .map((p) => `${p.in}:${p.name}`);
  const schema = Object.values(op.requestBody?.content ?? {})[0]?.schema;
  const resolved = schema?.$ref ? doc.components.schemas[schema.$ref.split('/').pop()!] : schema;
  const body = Object.entries(resolved?.properties ?? {})
    .filter(([, property]) => property.format === 'uuid')
    .map(([name]) => `body:${name}`);
  return [...params, ...body].sort();
}

/** `path <gateway path>` and `frame <type>` for every gateway the app runs. */
function wsSurface(app: INestApplication): string[] {
  const surface: string[] = [];
  for (const wrapper of new DiscoveryService(app.get(ModulesContainer)).getProviders()) {
    const gateway = wrapper.metatype as (new (...args: never[]) => object) | null;
    if (!gateway || !Reflect.getMetadata(GATEWAY_METADATA, gateway)) continue;
    const options = Reflect.getMetadata(GATEWAY_OPTIONS, gateway) as { path: string };
    surface.push(`path ${options.path}`);
    const proto = gateway.prototype as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(proto)) {
      const message =
        typeof proto[name] === 'function' ? Reflect.getMetadata(MESSAGE_METADATA, proto[name]) : undefined;
      if (typeof message === 'string') surface.push(`frame ${message}`);
    }
  }
  return surface.sort();
}

/** One user's list with one of everything, as the ids the matrix fills in. */
interface Party {
  user: Registered;
  ids: Record<IdKind, string>;
  /** The signed link of its trip's receipt. */
  receiptLink: string;
  /** An item id on another list of the same user (the `taken` baseline). */
  takenItemId: string;
}

/** A status and a body without its per-request id. */
interface Answer {
  status: number | undefined;
  body: unknown;
}

/** One request's ids: `in:name` → id. */
type Fill = Record<string, string>;

/** A WebSocket cell: the victim's id and its random twin, each a handshake answered with a status and body. */
interface WsCell {
  cell: string;
  theirs: () => Promise<Answer>;
  twin: () => Promise<Answer>;
  refusal: Refusal;
}

/** One cell: which ids are the victim's (the rest are the caller's own), and how they are spelled. */
interface Cell {
  label: string;
  foreign: Slot[];
  spell: (id: string) => string;
}

/** What a cell got: compared with what the table says it should get. */
interface Outcome {
  cell: string;
  status: number | undefined;
  message: unknown;
  /** Same status and body (requestId aside) as the same request with the foreign ids random. */
  sameAsRandom: boolean;
}

const asIs = (id: string) => id;
const upper = (id: string) => id.toUpperCase();

/** All ids the victim's (as the server wrote them, and upper-cased), then each id alone the victim's. */
function cellsOf(entry: Entry): Cell[] {
  const all: Cell[] = [
    { label: 'all theirs', foreign: entry.slots, spell: asIs },
    { label: 'all theirs, upper-case', foreign: entry.slots, spell: upper },
  ];
  if (entry.slots.length === 1) return all;
  return [
    ...all,
    ...entry.slots.map((slot) => ({
      label: `mine with your ${slot.kind} (${slot.name})`,
      foreign: [slot],
      spell: asIs,
    })),
  ];
}

/** The answer for a cell: the refusal of the first foreign id, in the order the service checks them. */
function expectedOf(cell: string, foreign: Slot[]): Outcome {
  return { cell, ...foreign[0].refusal, sameAsRandom: true };
}

function outcomeOf(cell: string, theirs: Answer, twin: Answer): Outcome {
  return {
    cell,
    status: theirs.status,
    message: (theirs.body as { message?: unknown } | null)?.message,
    sameAsRandom: theirs.status === twin.status && JSON.stringify(theirs.body) === JSON.stringify(twin.body),
  };
}

function answerOf(res: Response): Answer {
  const body = res.body as Record<string, unknown> | null;
  return { status: res.status, body: body && typeof body === 'object' ? withoutRequestId(body) : body };
}

/** Rows that appeared or disappeared, per table (only tables that changed). */
function changes(
  before: Record<string, string[]>,
  after: Record<string, string[]>,
): Record<string, { gone: string[]; appeared: string[] }> {
  const minus = (a: string[], b: string[]) => {
    const left = [...b];
    return a.filter((row) => {
      const at = left.indexOf(row);
      if (at === -1) return true;
      left.splice(at, 1);
      return false;
    });
  };
  const out: Record<string, { gone: string[]; appeared: string[] }> = {};
  for (const table of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const gone = minus(before[table] ?? [], after[table] ?? []);
    const appeared = minus(after[table] ?? [], before[table] ?? []);
    if (gone.length > 0 || appeared.length > 0) out[table] = { gone, appeared };
  }
  return out;
}

const ownerOnlyOps = Object.entries(MATRIX)
  .filter(([, entry]) => entry.ownerOnly)
  .map(([op]) => op)
  .sort();

describe('access control matrix (OWASP API1: object-level authorization)', () => {
  // No heartbeat during a test: it writes (ws_connections.seen_at, ws_acks) on its own schedule.
  const t = useTestApp({ WS_HEARTBEAT_MS: '600000' });
  afterEach(() => jest.restoreAllMocks());
  const { attach } = receiptSteps(t);
  let jpeg: Buffer;
  beforeAll(async () => {
    jpeg = await photo('jpeg');
  });

  /**
   * Gives `u`'s list one of everything, so that each operation would succeed with these ids:
   * a trip (at a store, with a receipt), an unchecked item and a checked one (a trip to complete).
   */
  const furnish = async (u: Registered, listId: string, member: string): Promise<Party> => {
    await buy(t, u, listId, ['Milk']);
    const store = (await t.http.post(`/lists/${listId}/stores`).set(u.auth).send({ name: 'Corner shop' }).expect(201))
      .body as { id: string };
    const trip = (await t.http.post(`/lists/${listId}/trips`).set(u.auth).send({ storeId: store.id }).expect(201))
      .body as Trip;
    const { receiptUrl } = await attach(u, trip, jpeg);
    const item = await addItem(t, u, listId, { name: 'Bread' });
    await buy(t, u, listId, ['Eggs']);
    const sessions = (await t.http.get('/auth/sessions').set(u.auth).expect(200)).body as { id: string }[];
    const elsewhere = (await t.http.post('/lists').set(u.auth).send({ name: 'Cabin' }).expect(201)).body as {
      id: string;
    };
    const taken = await addItem(t, u, elsewhere.id, { name: 'Logs' });
    return {
      user: u,
      ids: {
        list: listId,
        item: item.id,
        store: store.id,
        trip: trip.id,
        member,
        session: sessions[0].id,
        receiptFile: keyOf(receiptUrl!).split('/')[1],
      },
      receiptLink: receiptUrl!,
      takenItemId: taken.id,
    };
  };

  const ticketFor = async (u: Registered, listId: string): Promise<string> =>
    (await t.http.post('/ws/ticket').set(u.auth).send({ listId }).expect(201)).body.ticket as string;

  /**
   * Olga owns the victim list; Max and Mia are plain members (the victim's `member` id is
   * Mia's); Rex was a member and was removed: he kept every id he saw, and a socket ticket.
   */
  const victimWorld = async () => {
    const olga = await registerUser(t, { name: 'Olga' });
    const max = await registerUser(t, { name: 'Max' });
    const mia = await registerUser(t, { name: 'Mia' });
    const rex = await registerUser(t, { name: 'Rex' });
    const { inviteCode } = await getList(t, olga);
    for (const u of [max, mia, rex]) {
      await t.http.post('/lists/join').set(u.auth).send({ inviteCode }).expect(200);
    }
    const victim = await furnish(olga, olga.listId, mia.userId);
    const rexTicket = await ticketFor(rex, olga.listId);
    await t.http.delete(`/lists/${olga.listId}/members/${rex.userId}`).set(olga.auth).expect(204);
    return { victim, olga, max, mia, rex, rexTicket };
  };

  /** An outsider's own list, furnished the same way, with a friend as its other member (their `member` id). */
  const outsiderParty = async (u: Registered): Promise<Party> => {
    const friend = await registerUser(t, { name: 'Fay' });
    const { inviteCode } = await getList(t, u);
    await t.http.post('/lists/join').set(friend.auth).send({ inviteCode }).expect(200);
    return furnish(u, u.listId, friend.userId);
  };

  /** Every row of every table, as JSON text, in a stable order. */
  const dump = async (): Promise<Record<string, string[]>> => {
    const tables: { tablename: string }[] = await t.dataSource.query(
      `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`,
    );
    const out: Record<string, string[]> = {};
    for (const { tablename } of tables) {
      const rows: { row: string }[] = await t.dataSource.query(
        `SELECT to_jsonb(r)::text AS row FROM "${tablename}" r ORDER BY 1`,
      );
      out[tablename] = rows.map((r) => r.row);
    }
    return out;
  };

  /**
   * The only rows a refused request may write, all the caller's own: a WebSocket ticket is
   * single use, so presenting it (on the wrong list too) burns it.
   */
  /**
   * The caller's own bookkeeping, which a refused request legitimately writes: their tickets
   * (presenting one burns it) and the count of their own handshakes (the per-user rate limit,
   * stored under an HMAC of their id). Nothing about the victim is set aside.
   */
  const throttleKey = deriveKey(process.env.JWT_SECRET ?? '', 'throttle-subject');
  const withoutCallersTickets = (tables: Record<string, string[]>, caller: Registered) => ({
    ...tables,
    ws_tickets: tables.ws_tickets.filter((row) => (JSON.parse(row) as { user_id: string }).user_id !== caller.userId),
    throttles: tables.throttles.filter(
      (row) => (JSON.parse(row) as { key: string }).key !== `ws-handshake-user:${hmac(throttleKey, caller.userId)}`,
    ),
  });

  const randomOf = (kind: IdKind): string => (kind === 'receiptFile' ? `${randomUUID()}.jpg` : randomUUID());

  /** The operation's request as `caller`, its ids taken from `fill` (`in:name` → id). */
  const send = (op: string, entry: Entry, caller: Party, fill: Fill): Test => {
    const [method, template] = op.split(' ');
    const path = template.replace(/\{(\w+)\}/g, (_, name: string) => fill[`path:${name}`]);
    let req = (t.http as unknown as Record<string, (path: string) => Test>)[method.toLowerCase()](path);
    const query: Record<string, string> = {};
    const body: Record<string, unknown> = { ...entry.body };
    for (const slot of entry.slots) {
      if (slot.in === 'query') query[slot.name] = fill[`query:${slot.name}`];
      if (slot.in === 'body') body[slot.name] = fill[`body:${slot.name}`];
    }
    if (entry.signedLink) {
      const { expires, sig } = linkParts(caller.receiptLink);
      Object.assign(query, { expires, sig });
    } else {
      req = req.set(caller.user.auth);
    }
    req = req.query(query);
    if (entry.upload) return req.attach('receipt', jpeg, { filename: 'receipt.jpg', contentType: 'image/jpeg' });
    return method === 'GET' || method === 'DELETE' ? req : req.send(body);
  };

  /** The foreign slots get `value(slot)`, the others the caller's own ids. */
  const fillFor = (entry: Entry, caller: Party, foreign: Slot[], value: (slot: Slot) => string): Fill =>
    Object.fromEntries(
      entry.slots.map((slot) => [
        `${slot.in}:${slot.name}`,
        foreign.includes(slot) ? value(slot) : caller.ids[slot.kind],
      ]),
    );

  /** Opens a socket; a refusal (an HTTP answer instead of the 101) is returned as its status and body. */
  const handshake = async (path: string): Promise<Answer> => {
    try {
      const socket = await TestSocket.open(wsUrl(t, path));
      await socket.close();
      return { status: 101, body: null };
    } catch (error) {
      if (!(error instanceof RefusedHandshake)) throw error;
      return { status: error.status, body: withoutRequestId(error.body as Record<string, unknown>) };
    }
  };

  /** Sockets on the victim list: Olga's full stream (`since`: every durable frame) and Mia's as the app opens it. */
  const victimSockets = async (olga: Registered, mia: Registered): Promise<TestSocket[]> => {
    const seq = (await getList(t, olga)).seq;
    return [
      await TestSocket.open(wsUrl(t, `/ws/lists/${olga.listId}?token=${olga.token}&since=${seq}`)),
      await TestSocket.open(wsUrl(t, `/ws/lists/${olga.listId}?token=${mia.token}`)),
    ];
  };

  /** Syncs each socket and returns the types of the frames it got after `seen[i]` (the sync's own pong included). */
  const framesSince = async (sockets: TestSocket[], seen: number[]): Promise<string[][]> => {
    const got: string[][] = [];
    for (const [i, socket] of sockets.entries()) {
      await socket.sync();
      got.push(socket.frames.slice(seen[i]).map((f) => f.type));
    }
    return got;
  };

  /**
   * Waits until the sockets' own bookkeeping, written just after their 101, is in the database
   * (a `ws_connections` row per open socket, a first `ws_acks` proof per app-style socket) and
   * the presence frame of each victim socket's arrival has reached the owner's socket; then
   * syncs the victim sockets and returns how many frames each holds.
   */
  const settle = async (victims: TestSocket[], expected: { connections: number; acks: number }): Promise<number[]> => {
    await eventually(async () => {
      const [counts]: { connections: number; acks: number }[] = await t.dataSource.query(
        `SELECT (SELECT count(*)::int FROM ws_connections) AS connections, (SELECT count(*)::int FROM ws_acks) AS acks`,
      );
      expect(counts).toEqual(expected);
    });
    const presences = (frames: Frame[]) => frames.filter((f) => f.type === 'presence').length;
    await victims[0].waitFor((frames) => presences(frames) >= victims.length, 5000, 'presence frames');
    for (const socket of victims) await socket.sync();
    return victims.map((socket) => socket.frames.length);
  };

  /**
   * Sends every cell of the matrix as `caller` against `victim`, each beside its random-id twin,
   * then the WebSocket cells. Returns what each cell got, what the table says it should get,
   * the operations that reached `ListAccess.requireOwner`, what changed in the database and
   * which frames the victim's sockets got meanwhile.
   */
  const runMatrix = async (victim: Party, caller: Party, sockets: TestSocket[], extra: WsCell[] = []) => {
    const callerSocket = await TestSocket.open(wsUrl(t, `/ws/lists/${caller.ids.list}?token=${caller.user.token}`));
    const tickets = [await ticketFor(caller.user, caller.ids.list), await ticketFor(caller.user, caller.ids.list)];
    const seen = await settle(sockets, { connections: 3, acks: 2 });
    const before = withoutCallersTickets(await dump(), caller.user);

    const requireOwner = jest.spyOn(t.app.get(ListAccess), 'requireOwner');
    const ownerChecked = new Set<string>();
    const outcomes: Outcome[] = [];
    const expected: Outcome[] = [];
    for (const [op, entry] of Object.entries(MATRIX)) {
      for (const { label, foreign, spell } of cellsOf(entry)) {
        const cell = `${op} · ${label}`;
        const calls = requireOwner.mock.calls.length;
        const theirs = await send(
          op,
          entry,
          caller,
          fillFor(entry, caller, foreign, (s) => spell(victim.ids[s.kind])),
        );
        const twin = await send(
          op,
          entry,
          caller,
          fillFor(entry, caller, foreign, (s) => spell(s.baseline === 'taken' ? caller.takenItemId : randomOf(s.kind))),
        );
        if (requireOwner.mock.calls.length > calls) ownerChecked.add(op);
        outcomes.push(outcomeOf(cell, answerOf(theirs), answerOf(twin)));
        expected.push(expectedOf(cell, foreign));
      }
    }
    requireOwner.mockRestore();

    // The socket handshake to the victim's list, with the caller's token and with a ticket for their own list.
    const wsCells: WsCell[] = [
      {
        cell: 'WS /ws/lists/{listId}?token= · all theirs',
        theirs: () => handshake(`/ws/lists/${victim.ids.list}?token=${caller.user.token}`),
        twin: () => handshake(`/ws/lists/${randomUUID()}?token=${caller.user.token}`),
        refusal: LIST_NOT_FOUND,
      },
      {
        cell: 'WS /ws/lists/{listId}?ticket= · mine (a ticket for my list) with your list',
        theirs: () => handshake(`/ws/lists/${victim.ids.list}?ticket=${tickets[0]}`),
        twin: () => handshake(`/ws/lists/${randomUUID()}?ticket=${tickets[1]}`),
        refusal: { status: 401, message: 'The ticket is invalid, used or expired.' },
      },
      ...extra,
    ];
    for (const { cell, theirs, twin, refusal } of wsCells) {
      outcomes.push(outcomeOf(cell, await theirs(), await twin()));
      expected.push({ cell, ...refusal, sameAsRandom: true });
    }

    // `item:checking` on the caller's own socket, naming the victim's item: the same error frame as a random item.
    callerSocket.send({ type: 'item:checking', payload: { itemId: victim.ids.item } });
    callerSocket.send({ type: 'item:checking', payload: { itemId: randomUUID() } });
    await callerSocket.sync();
    const [theirItem, randomItem] = callerSocket.frames.filter((f) => f.type === 'error');
    const frameCell = 'WS frame item:checking {itemId} · mine with your item';
    outcomes.push(
      outcomeOf(frameCell, { status: 0, body: theirItem.payload }, { status: 0, body: randomItem.payload }),
    );
    expected.push({ cell: frameCell, status: 0, message: 'That item is not on this list.', sameAsRandom: true });

    const changed = changes(before, withoutCallersTickets(await dump(), caller.user));
    const victimFrames = await framesSince(sockets, seen);
    await callerSocket.close();
    return { outcomes, expected, ownerChecked: [...ownerChecked].sort(), changed, victimFrames };
  };

  it('should have an entry for every operation of /docs-json, naming exactly the ids it takes', async () => {
    const doc = (await t.http.get('/docs-json').expect(200)).body as OpenApiDocument;
    const ops = operations(doc);
    // Each operation in exactly one of the two tables, and no entry for a route that is gone.
    expect(Object.keys(MATRIX).filter((op) => op in NO_FOREIGN_ID)).toEqual([]);
    expect([...Object.keys(MATRIX), ...Object.keys(NO_FOREIGN_ID)].sort()).toEqual([...ops.keys()].sort());
    for (const [op, entry] of Object.entries(MATRIX)) {
      const declared = entry.slots.map((slot) => `${slot.in}:${slot.name}`).sort();
      expect({ op, ids: declared }).toEqual({ op, ids: idsTaken(doc, ops.get(op)!) });
    }
    for (const op of Object.keys(NO_FOREIGN_ID)) {
      expect({ op, ids: idsTaken(doc, ops.get(op)!) }).toEqual({ op, ids: [] });
    }
  });

  it('should cover every WebSocket path and client frame type the app’s gateways handle', () => {
    expect(wsSurface(t.app)).toEqual(Object.keys(WS_SURFACE).sort());
  });

  it.each([['a stranger'], ['a removed former member']])(
    'should refuse %s every id of another user’s list exactly as a random id, changing nothing and sending no frame',
    async (who) => {
      const { victim, olga, mia, rex, rexTicket } = await victimWorld();
      const former = who !== 'a stranger';
      const caller = await outsiderParty(former ? rex : await registerUser(t, { name: 'Eve' }));
      const sockets = await victimSockets(olga, mia);
      // Rex's ticket was issued while he was a member: after his removal it opens nothing.
      const extra: WsCell[] = former
        ? [
            {
              cell: 'WS /ws/lists/{listId}?ticket= · all theirs (issued before the removal)',
              theirs: () => handshake(`/ws/lists/${olga.listId}?ticket=${rexTicket}`),
              twin: () => handshake(`/ws/lists/${randomUUID()}?token=${rex.token}`),
              refusal: LIST_NOT_FOUND,
            },
          ]
        : [];

      const run = await runMatrix(victim, caller, sockets, extra);

      expect(run.outcomes).toEqual(run.expected);
      expect(run.outcomes).toHaveLength(former ? 66 : 65);
      expect(run.changed).toEqual({});
      expect(run.victimFrames).toEqual([['pong'], ['pong']]);
      // The table's owner-only flags are exactly the operations whose service asks for the owner.
      expect(run.ownerChecked).toEqual(ownerOnlyOps);
      for (const socket of sockets) await socket.close();
    },
  );

  it('should answer 403 to a plain member for every owner-only operation, leaving the list exactly as it was', async () => {
    const { victim, olga, max, mia } = await victimWorld();
    const sockets = await victimSockets(olga, mia);
    const seen = await settle(sockets, { connections: 2, acks: 1 });
    const before = await dump();
    const member: Party = { ...victim, user: max };

    const outcomes: { op: string; status: number; message: unknown }[] = [];
    for (const op of ownerOnlyOps) {
      const res = await send(
        op,
        MATRIX[op],
        member,
        fillFor(MATRIX[op], member, [], () => ''),
      );
      outcomes.push({ op, status: res.status, message: (res.body as { message?: unknown }).message });
    }

    expect(ownerOnlyOps).toEqual([
      'DELETE /lists/{id}',
      'DELETE /lists/{id}/members/{userId}',
      'POST /lists/{id}/invite-code',
    ]);
    expect(outcomes).toEqual(ownerOnlyOps.map((op) => ({ op, ...NOT_OWNER })));
    expect(changes(before, await dump())).toEqual({});
    expect(await framesSince(sockets, seen)).toEqual([['pong'], ['pong']]);
    for (const socket of sockets) await socket.close();
  });

  it('should accept each operation with the caller’s own ids (so each refusal above is the foreign id’s alone)', async () => {
    const outcomes: { op: string; status: number }[] = [];
    const expected: { op: string; status: number }[] = [];
    for (const [op, entry] of Object.entries(MATRIX)) {
      // A fresh party each: some of these end the list, the membership or the session.
      const party = await outsiderParty(await registerUser(t, { name: 'Eve' }));
      const res = await send(
        op,
        entry,
        party,
        fillFor(entry, party, [], () => ''),
      );
      outcomes.push({ op, status: res.status });
      expected.push({ op, status: entry.ok });
    }
    expect(outcomes).toEqual(expected);
  });

  it('should not open one list’s receipt with a link signed for another list’s receipt', async () => {
    const { victim } = await victimWorld();
    const caller = await outsiderParty(await registerUser(t, { name: 'Eve' }));
    const mine = linkParts(caller.receiptLink);
    const theirs = linkParts(victim.receiptLink);
    const flipped = `${theirs.sig.slice(0, -1)}${theirs.sig.endsWith('A') ? 'B' : 'A'}`;
    const [theirTrip, theirFile] = theirs.path.split('/').slice(2);
    const [myTrip, myFile] = mine.path.split('/').slice(2);

    const tampered = [
      // My signature on your path, on your trip with my file, on my trip with your file.
      `${theirs.path}?expires=${mine.expires}&sig=${mine.sig}`,
      `/receipts/${theirTrip}/${myFile}?expires=${mine.expires}&sig=${mine.sig}`,
      `/receipts/${myTrip}/${theirFile}?expires=${mine.expires}&sig=${mine.sig}`,
      // Your link with its signature or expiry changed, or my signature with your expiry.
      `${theirs.path}?expires=${theirs.expires}&sig=${flipped}`,
      `${theirs.path}?expires=${Number(theirs.expires) + 1}&sig=${theirs.sig}`,
      `${theirs.path}?expires=${theirs.expires}&sig=${mine.sig}`,
    ];
    const outcomes = [];
    for (const link of tampered) {
      const res = await t.http.get(link);
      outcomes.push({ link, status: res.status, message: (res.body as { message?: unknown }).message });
    }

    expect(outcomes).toEqual(tampered.map((link) => ({ link, ...BAD_LINK })));
    // Each link opens what it was signed for, and only that.
    await t.http.get(`${mine.path}?expires=${mine.expires}&sig=${mine.sig}`).expect(200);
    await t.http.get(`${theirs.path}?expires=${theirs.expires}&sig=${theirs.sig}`).expect(200);
  });
});

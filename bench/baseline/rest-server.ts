/**
 * The raw baseline of the REST scenarios of `npm run bench`: bare `node:http` + `pg` (one Pool)
 * on the app's database, answering what the app answers, as fast as its authors could make it.
 * If the app ever beats it, this file gets better.
 *
 * The same work as the app, with the least code and the fewest round trips:
 * - every request: the bearer token is verified as the app verifies it (HS256 JWT signed with
 *   the app's JWT_SECRET, header `alg` HS256, `exp` in the future, `sub` and `sid` strings);
 *   then, inside the request's one SQL statement, the session must be live (not revoked, not
 *   expired — the app asks the same, though it reuses the answer for SESSION_CACHE_MS) and the
 *   caller a member of the list.
 * - `GET /lists/:id`: one statement reads the membership, the list, its members and its items;
 *   PostgreSQL builds the members' and items' JSON (the app's field names and order, ISO times
 *   in UTC with milliseconds) and the server splices it into the body unparsed. The invite code
 *   is opened from its sealed copy (AES-256-GCM, the app's SecretBox and context) per request,
 *   as the app does. Not done: renewing an expired invite code (the seeded codes are fresh).
 * - `POST /lists/:id/items` {name, quantity?, unit?, note?, category?} and
 *   `PATCH /lists/:id/items/:itemId` {checked: true}: one statement, so one implicit
 *   transaction: the item row inserted (the list's item quota counted first, as the app does)
 *   or checked (who, when, version + 1; an item already checked is answered unchanged, nothing
 *   written), the list's seq bumped (its row lock orders the log), the event appended to
 *   `list_events` (type `item:added` / `item:updated`, the item as payload, the actor and
 *   session) and `pg_notify('cartsync_events', {"l","s"})`, sent by PostgreSQL on commit.
 *   Answers 201 / 200 with the item, as the app does.
 * Errors: 401 (token or session), 404 (not a member, no such item), 400 (unreadable body),
 * 422 (item quota) with the app's error body shape; nothing else is validated.
 *
 * Environment: DATABASE_URL, JWT_SECRET, PORT, HOST (the harness passes them; HOST defaults to 127.0.0.1); BASELINE_POOL_SIZE
 * (default 20, the app's DB_POOL_SIZE under the bench), MAX_ITEMS_PER_LIST (default 1000000,
 * as the bench's app).
 */
import { createHmac, createSecretKey, KeyObject, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { Pool } from 'pg';
import { SecretBox } from '../../src/common/crypto/secret-box';

const EVENTS_CHANNEL = 'cartsync_events';
const DEFAULT_UNIT = '×';
const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const LIST_PATH = new RegExp(`^/lists/(${UUID})$`);
const ITEMS_PATH = new RegExp(`^/lists/(${UUID})/items$`);
const ITEM_PATH = new RegExp(`^/lists/(${UUID})/items/(${UUID})$`);
const MAX_BODY = 64 * 1024;

const databaseUrl = required('DATABASE_URL');
const jwtSecret = required('JWT_SECRET');
const port = Number(required('PORT'));
const maxItems = Number(process.env.MAX_ITEMS_PER_LIST ?? 1_000_000);

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

const pool = new Pool({ connectionString: databaseUrl, max: Number(process.env.BASELINE_POOL_SIZE ?? 20) });
pool.on('error', () => undefined);
const jwtKey: KeyObject = createSecretKey(Buffer.from(jwtSecret, 'utf8'));
const inviteBox = new SecretBox(jwtSecret, 'invite-code');

interface Caller {
  userId: string;
  sessionId: string;
}

/** HS256 only, signature then expiry; null for anything else (the app's passport-jwt options). */
export function verifyJwt(token: string, key: KeyObject, nowSec: number): Caller | null {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first < 0 || second < 0 || token.indexOf('.', second + 1) >= 0) return null;
  const expected = createHmac('sha256', key).update(token.slice(0, second)).digest();
  const given = Buffer.from(token.slice(second + 1), 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const header = JSON.parse(Buffer.from(token.slice(0, first), 'base64url').toString('utf8')) as { alg?: unknown };
    if (header.alg !== 'HS256') return null;
    const claims = JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString('utf8')) as {
      sub?: unknown;
      sid?: unknown;
      exp?: unknown;
      nbf?: unknown;
    };
    if (typeof claims.sub !== 'string' || typeof claims.sid !== 'string') return null;
    if (typeof claims.exp === 'number' && claims.exp <= nowSec) return null;
    if (typeof claims.nbf === 'number' && claims.nbf > nowSec) return null;
    return { userId: claims.sub, sessionId: claims.sid };
  } catch {
    return null;
  }
}

const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** toItemResponse's fields, in its order, for the item row aliased `i`. */
const ITEM_JSON = `json_build_object('id', i.id, 'listId', i.list_id, 'name', i.name, 'quantity', i.quantity,
  'unit', i.unit, 'checked', i.checked, 'checkedBy', i.checked_by, 'checkedAt', ${iso('i.checked_at')},
  'addedBy', i.added_by, 'createdAt', ${iso('i.created_at')}, 'updatedAt', ${iso('i.updated_at')},
  'version', i.version, 'note', i.note, 'category', i.category)`;

/** The session is live and its user a member of the list $1 ($2 session, $3 user). */
const MEMBER = `SELECT m.role FROM sessions s JOIN list_members m ON m.user_id = s.user_id AND m.list_id = $1
   WHERE s.id = $2 AND s.user_id = $3 AND s.revoked_at IS NULL AND s.expires_at > now()`;

const GET_LIST = {
  name: 'baseline-get-list',
  text: `WITH member AS (${MEMBER})
    SELECT member.role, l.name, l.invite_code_sealed AS sealed, ${iso('l.invite_expires_at')} AS expires,
           ${iso('l.created_at')} AS created, l.seq, l.version,
           (SELECT coalesce(json_agg(json_build_object('id', u.id, 'name', u.name, 'email', u.email, 'role', mm.role)
                                     ORDER BY mm.joined_at, u.id), '[]')::text
              FROM list_members mm JOIN users u ON u.id = mm.user_id WHERE mm.list_id = l.id) AS members,
           (SELECT coalesce(json_agg(${ITEM_JSON} ORDER BY i.created_at, i.id), '[]')::text
              FROM items i WHERE i.list_id = l.id) AS items
      FROM member, lists l WHERE l.id = $1`,
};

const ADD_ITEM = {
  name: 'baseline-add-item',
  text: `WITH member AS (${MEMBER}),
    list AS (
      UPDATE lists SET seq = seq + 1, updated_at = now()
       WHERE id = $1 AND EXISTS (SELECT 1 FROM member)
         AND (SELECT count(*) FROM items WHERE list_id = $1) < $10
       RETURNING seq),
    added AS (
      INSERT INTO items AS i (id, list_id, name, quantity, unit, note, category, checked, added_by, version)
      SELECT $4::uuid, $1::uuid, $5::text, $6::float8, $7::text, $8::text, $9::text, false, $3::uuid, 1 FROM list
      RETURNING ${ITEM_JSON} AS item),
    event AS (
      INSERT INTO list_events (list_id, seq, type, payload, actor_id, actor_session)
      SELECT $1::uuid, list.seq, 'item:added', added.item::jsonb, $3::uuid, $2::uuid FROM list, added
      RETURNING seq)
    SELECT added.item::text AS item, pg_notify('${EVENTS_CHANNEL}', json_build_object('l', $1::text, 's', event.seq)::text)
      FROM added, event`,
};

const CHECK_ITEM = {
  name: 'baseline-check-item',
  text: `WITH member AS (${MEMBER}),
    checked AS (
      UPDATE items i SET checked = true, checked_by = $3::uuid, checked_at = now(), checked_received_at = now(),
                         version = i.version + 1, updated_at = now()
       WHERE i.id = $4 AND i.list_id = $1 AND NOT i.checked AND EXISTS (SELECT 1 FROM member)
       RETURNING ${ITEM_JSON} AS item),
    list AS (
      UPDATE lists SET seq = seq + 1, updated_at = now()
       WHERE id = $1 AND EXISTS (SELECT 1 FROM checked)
       RETURNING seq),
    event AS (
      INSERT INTO list_events (list_id, seq, type, payload, actor_id, actor_session)
      SELECT $1::uuid, list.seq, 'item:updated', checked.item::jsonb, $3::uuid, $2::uuid FROM list, checked
      RETURNING seq)
    SELECT checked.item::text AS item, pg_notify('${EVENTS_CHANNEL}', json_build_object('l', $1::text, 's', event.seq)::text)
      FROM checked, event`,
};

/** Why a write wrote nothing: session, membership, item, quota (only asked on that path). */
const WHY_NOT = {
  name: 'baseline-why-not',
  text: `SELECT EXISTS (SELECT 1 FROM sessions s WHERE s.id = $2 AND s.user_id = $3 AND s.revoked_at IS NULL AND s.expires_at > now()) AS live,
                EXISTS (SELECT 1 FROM list_members m WHERE m.list_id = $1 AND m.user_id = $3) AS member,
                (SELECT ${ITEM_JSON}::text FROM items i WHERE i.id = $4 AND i.list_id = $1) AS item`,
};

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

const ERRORS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  422: 'Unprocessable Entity',
  500: 'Internal Server Error',
};

function fail(res: ServerResponse, status: number, message: string): void {
  send(res, status, JSON.stringify({ statusCode: status, error: ERRORS[status], message, requestId: randomUUID() }));
}

function readBody(req: IncomingMessage): Promise<Record<string, unknown> | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY) return resolve(null);
      try {
        const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        resolve(
          value !== null && typeof value === 'object' && !Array.isArray(value)
            ? (value as Record<string, unknown>)
            : null,
        );
      } catch {
        resolve(null);
      }
    });
    req.on('error', () => resolve(null));
  });
}

function caller(req: IncomingMessage): Caller | null {
  const header = req.headers.authorization;
  if (!header || !header.startsWith('Bearer ')) return null;
  return verifyJwt(header.slice(7).trim(), jwtKey, Math.floor(Date.now() / 1000));
}

interface ListRow {
  role: string;
  name: string;
  sealed: Buffer | null;
  expires: string;
  created: string;
  seq: string;
  version: number;
  members: string;
  items: string;
}

async function getList(res: ServerResponse, who: Caller, listId: string): Promise<void> {
  const { rows } = await pool.query<ListRow>({ ...GET_LIST, values: [listId, who.sessionId, who.userId] });
  const row = rows[0];
  if (!row) return whyNot(res, who, listId, null);
  const inviteCode = (row.sealed && inviteBox.open(row.sealed, `lists.invite_code\n${listId}`)) ?? '';
  send(
    res,
    200,
    `{"id":"${listId}","name":${JSON.stringify(row.name)},"inviteCode":${JSON.stringify(inviteCode)},` +
      `"inviteCodeExpiresAt":"${row.expires}","members":${row.members},"items":${row.items},` +
      `"createdAt":"${row.created}","role":"${row.role}","seq":${Number(row.seq)},"version":${row.version}}`,
  );
}

function optionalText(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

async function addItem(req: IncomingMessage, res: ServerResponse, who: Caller, listId: string): Promise<void> {
  const body = await readBody(req);
  const name = typeof body?.name === 'string' ? body.name.trim() : '';
  if (!body || !name) return fail(res, 400, 'name must be a non-empty string');
  const quantity = typeof body.quantity === 'number' && body.quantity > 0 ? body.quantity : 1;
  const { rows } = await pool.query<{ item: string }>({
    ...ADD_ITEM,
    values: [
      listId,
      who.sessionId,
      who.userId,
      randomUUID(),
      name,
      quantity,
      optionalText(body.unit) ?? DEFAULT_UNIT,
      optionalText(body.note),
      optionalText(body.category),
      maxItems,
    ],
  });
  if (rows[0]) return send(res, 201, rows[0].item);
  return whyNot(res, who, listId, null, true);
}

async function checkItem(
  req: IncomingMessage,
  res: ServerResponse,
  who: Caller,
  listId: string,
  itemId: string,
): Promise<void> {
  const body = await readBody(req);
  if (!body || body.checked !== true) return fail(res, 400, 'this baseline only checks items: send {"checked": true}');
  const { rows } = await pool.query<{ item: string }>({
    ...CHECK_ITEM,
    values: [listId, who.sessionId, who.userId, itemId.toLowerCase()],
  });
  if (rows[0]) return send(res, 200, rows[0].item);
  return whyNot(res, who, listId, itemId.toLowerCase());
}

/** The rare path: why nothing was read or written. An item already checked is answered as it is (the app's no-op). */
async function whyNot(res: ServerResponse, who: Caller, listId: string, itemId: string | null, adding = false) {
  const { rows } = await pool.query<{ live: boolean; member: boolean; item: string | null }>({
    ...WHY_NOT,
    values: [listId, who.sessionId, who.userId, itemId ?? '00000000-0000-0000-0000-000000000000'],
  });
  const why = rows[0];
  if (!why.live) return fail(res, 401, 'Your session has ended; please sign in again.');
  if (!why.member) return fail(res, 404, 'List not found.');
  if (adding) return fail(res, 422, `This list already has ${maxItems} items, the most a list can hold.`);
  if (itemId && why.item) return send(res, 200, why.item);
  return fail(res, 404, itemId ? 'Item not found.' : 'List not found.');
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? '/';
  const path = url.includes('?') ? url.slice(0, url.indexOf('?')) : url;
  if (path === '/health' || path === '/ready') return send(res, 200, '{"status":"ok"}');
  const who = caller(req);
  if (!who) return fail(res, 401, 'Authentication required: send a valid bearer token.');
  let match: RegExpExecArray | null;
  if (req.method === 'GET' && (match = LIST_PATH.exec(path))) return getList(res, who, match[1].toLowerCase());
  if (req.method === 'POST' && (match = ITEMS_PATH.exec(path))) return addItem(req, res, who, match[1].toLowerCase());
  if (req.method === 'PATCH' && (match = ITEM_PATH.exec(path))) {
    return checkItem(req, res, who, match[1].toLowerCase(), match[2]);
  }
  return fail(res, 404, `Cannot ${req.method} ${path}`);
}

const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  handle(req, res).catch((error: unknown) => {
    process.stderr.write(`baseline: ${String(error)}\n`);
    if (!res.headersSent) fail(res, 500, 'Internal server error.');
    else res.destroy();
  });
});

server.listen(port, process.env.HOST || '127.0.0.1');
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    server.close();
    server.closeAllConnections();
    void pool.end().finally(() => process.exit(0));
  });
}

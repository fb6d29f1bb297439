/**
 * `npm run bench:check-baseline`: does the raw baseline answer what the app answers? Starts the
 * processes as the bench does, seeds a rest-read household, then compares: `GET /lists/:id`
 * (the whole body, equal), an add and a check (the same fields, types and values but ids and
 * times), and the event each wrote to the log and the 401/404 answers. Exits 1 on a difference.
 */
import { isDeepStrictEqual } from 'node:util';
import { resolve } from 'node:path';
import { Api } from '../http-client';
import { startAll } from './contenders';
import { household } from './seed';
import { Client } from 'pg';

const log = (line: string) => process.stdout.write(`${line}\n`);
let failures = 0;

function expectSame(what: string, app: unknown, baseline: unknown): void {
  if (isDeepStrictEqual(app, baseline)) {
    log(`same: ${what}`);
    return;
  }
  failures++;
  log(`DIFFERENT: ${what}\n  app:      ${JSON.stringify(app)}\n  baseline: ${JSON.stringify(baseline)}`);
}

/** Field names with the type of each value, ids and times replaced by their kind. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v)]));
  }
  if (typeof value === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-/.test(value)) return '<uuid>';
  if (typeof value === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(value)) return '<iso>';
  return value;
}

async function request(url: string, method: string, path: string, token: string, body?: unknown) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
}

async function main(): Promise<void> {
  const processes = await startAll({
    root: process.cwd(),
    baselineDir: resolve(__dirname, '..', 'baseline'),
    baselines: ['rest-server'],
    log,
  });
  const db = new Client({ connectionString: processes.databaseUrl });
  try {
    const app = processes.contenders[0].httpUrl;
    const baseline = processes.baselines.get('rest-server')!.httpUrl;
    const home = await household(new Api(app), 'check', { members: 3, items: 40 });
    for (const [i, token] of home.tokens.entries()) {
      const a = await request(app, 'GET', `/lists/${home.listId}`, token);
      const b = await request(baseline, 'GET', `/lists/${home.listId}`, token);
      expectSame(`GET /lists/:id as member ${i + 1}`, a, b);
    }
    await db.connect();
    const lastEvent = async () =>
      (
        await db.query<{ type: string; payload: unknown; actor_id: string; actor_session: string }>(
          `SELECT type, payload, actor_id, actor_session FROM list_events WHERE list_id = $1 ORDER BY seq DESC LIMIT 1`,
          [home.listId],
        )
      ).rows[0];
    const token = home.tokens[1];
    const body = { name: 'Oat milk', quantity: 2, unit: 'l' };
    const addA = await request(app, 'POST', `/lists/${home.listId}/items`, token, body);
    const eventA = await lastEvent();
    const addB = await request(baseline, 'POST', `/lists/${home.listId}/items`, token, body);
    const eventB = await lastEvent();
    expectSame(
      'POST /lists/:id/items (shape)',
      { status: addA.status, body: shape(addA.body) },
      { status: addB.status, body: shape(addB.body) },
    );
    expectSame('item:added event (shape)', shape(eventA), shape(eventB));
    expectSame('item:added payload is the answer (app)', eventA.payload, addA.body);
    expectSame('item:added payload is the answer (baseline)', eventB.payload, addB.body);
    const checkA = await request(app, 'PATCH', `/lists/${home.listId}/items/${String(addA.body!.id)}`, token, {
      checked: true,
    });
    const checkEventA = await lastEvent();
    const checkB = await request(baseline, 'PATCH', `/lists/${home.listId}/items/${String(addB.body!.id)}`, token, {
      checked: true,
    });
    const checkEventB = await lastEvent();
    expectSame(
      'PATCH {checked: true} (shape)',
      { status: checkA.status, body: shape(checkA.body) },
      { status: checkB.status, body: shape(checkB.body) },
    );
    expectSame('item:updated event (shape)', shape(checkEventA), shape(checkEventB));
    const again = await request(baseline, 'PATCH', `/lists/${home.listId}/items/${String(addB.body!.id)}`, token, {
      checked: true,
    });
    expectSame('checking a checked item answers it unchanged', again, checkB);
    const stranger = (
      await new Api(app).post<{ token: string }>('/auth/register', undefined, {
        email: `check-${process.pid}@bench.example.com`,
        password: 'bench-password-0123456789',
        name: 'Stranger',
      })
    ).token;
    for (const [what, t] of [
      ['not a member', stranger],
      ['bad token', `${token}x`],
    ] as const) {
      const a = await request(app, 'GET', `/lists/${home.listId}`, t);
      const b = await request(baseline, 'GET', `/lists/${home.listId}`, t);
      expectSame(`GET as ${what}: status and message`, [a.status, a.body?.message], [b.status, b.body?.message]);
    }
  } finally {
    await db.end().catch(() => undefined);
    await processes.stopAll();
  }
  log(failures === 0 ? 'the baseline answers as the app does' : `${failures} differences`);
  process.exitCode = failures === 0 ? 0 : 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

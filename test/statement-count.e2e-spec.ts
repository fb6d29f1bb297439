import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Pool, PoolClient } from 'pg';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { useTestApp } from './support/app';
import { setNow } from './support/clock';
import { Registered, registerUser } from './support/factories';
import { addItem, checkItem, getList } from './support/lists';
import { documentedOperations, OpenApiDocument, Operation } from './support/openapi';

/**
 * Issue 12: the number of SQL statements a request sends does not grow with the size of the
 * list (items, members, stores, trips). Statements are counted where they leave the app: every
 * `query` of every client of the app's pg pool, attributed to the request whose async context
 * sent it (an AsyncLocalStorage entered when the HTTP server receives the request), so the
 * background work of the app (sweeps, heartbeats, the realtime hub's reads after NOTIFY) is
 * never counted. BEGIN and COMMIT are statements (round trips) too.
 *
 * The session cache (SESSION_CACHE_MS) is warm and the clock frozen while counting, as under
 * load: every route is called once, then counted on its second call. A cold cache adds exactly
 * the one session statement (pinned below).
 */

interface Size {
  items: number;
  members: number;
  stores: number;
  trips: number;
}

const SMALL: Size = { items: 2, members: 1, stores: 1, trips: 1 };
const LARGE: Size = { items: 40, members: 4, stores: 5, trips: 5 };
/** Items bought per trip (so trip detail and suggestions have something that grows too). */
const tripItems = (size: Size) => (size === SMALL ? 1 : 4);

interface Fixture {
  owner: Registered;
  listId: string;
  storeId: string;
  tripId: string;
  /** Unchecked items (the PATCH route checks them one per call). */
  itemIds: string[];
}

/** The ids a route's path parameters name, in the fixture. */
function fillPath(path: string, f: Fixture, itemId: string): string {
  const ids: Record<string, string> = { id: f.listId, listId: f.listId, storeId: f.storeId, tripId: f.tripId, itemId };
  return path.replace(/\{([A-Za-z]+)\}/g, (_, name: string) => {
    const id = ids[name];
    if (!id) throw new Error(`no fixture id for {${name}} in ${path}`);
    return id;
  });
}

/** Routes the generator leaves out, and why (a new authenticated GET must be covered or named here). */
const NOT_COUNTED: Record<string, string> = {
  'GET /receipts/{tripId}/{file}':
    'a signed receipt link (public, no session), answered from storage: one file, no list',
};

/** The writes counted beside the reads: the app's main write path. */
const WRITES = ['POST /lists/{listId}/items', 'PATCH /lists/{listId}/items/{itemId}'];

/**
 * Exact counts (warm session cache) for the main routes; every other route must only not grow.
 * GET /lists/:id reads membership, list, members and items in one statement (ListsRepository.viewFor);
 * with ?storeId= the store's walking order adds its own three (the store, its pairs, its products).
 */
const PINNED: Record<string, number> = {
  'GET /lists/{id}': 1,
  'GET /lists/{id}?storeId': 4,
  // One: cartsync_add_item (membership, the list's lock, the item count, the row, the seq bump,
  // the event and its NOTIFY; migrations/1764600000002-ItemWriteFunctions.ts), no explicit
  // transaction. It was six: BEGIN, membership, insert, event, count, COMMIT.
  'POST /lists/{listId}/items': 1,
  // BEGIN, membership + item lock (items.lock-for-member), the update with its event (seq bump,
  // log row, NOTIFY: items.update-logged), COMMIT. It was six (membership, lock, update and the
  // event each a round trip).
  'PATCH /lists/{listId}/items/{itemId}': 4,
};

type Named = { name?: string; text?: string };

/** A recorded statement by its prepared name, or its first words when it has none. */
const nameOf = (statement: string) =>
  /^([a-z-]+\.[a-z-]+): /.exec(statement)?.[1] ?? statement.split(/\s+/).slice(0, 2).join(' ');

describe('SQL statements per request (issue 12)', () => {
  const t = useTestApp({ SESSION_CACHE_MS: '5000' });
  const probe = new AsyncLocalStorage<{ statements: string[] }>();

  /** Counts the statements of every pool client (present and future) in the request's context. */
  function countStatements(): void {
    const pool = (t.dataSource.driver as PostgresDriver).master as Pool & { _clients: PoolClient[] };
    const wrap = (client: PoolClient & { __counted?: boolean }) => {
      if (client.__counted) return;
      client.__counted = true;
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as { query: unknown }).query = (...args: unknown[]) => {
        const sql = args[0];
        // A named prepared statement is recorded as "name: text".
        const { name, text } = typeof sql === 'string' ? { name: undefined, text: sql } : (sql as Named);
        probe.getStore()?.statements.push(name ? `${name}: ${text}` : (text ?? '?'));
        return query(...args);
      };
    };
    pool._clients.forEach(wrap);
    pool.on('connect', wrap);
  }

  /** Every request the HTTP server receives runs in a context of its own, which the counter reads. */
  function enterContextPerRequest(): void {
    const server = t.app.getHttpServer();
    const listeners = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const store = { statements: [] as string[] };
      res.on('finish', () => counted.set(String(req.headers['x-probe']), store.statements));
      probe.run(store, () => listeners.forEach((listener) => listener.call(server, req, res)));
    });
  }

  const counted = new Map<string, string[]>();
  let probes = 0;

  async function statementsOf(
    u: Registered,
    method: string,
    path: string,
    body?: object,
  ): Promise<{ status: number; statements: string[] }> {
    const id = String(++probes);
    const call = t.http[method.toLowerCase() as 'get' | 'post' | 'patch'](path).set(u.auth).set('x-probe', id);
    const res = await (body ? call.send(body) : call);
    return { status: res.status, statements: counted.get(id) ?? [] };
  }

  async function seed(size: Size): Promise<Fixture> {
    const owner = await registerUser(t, { name: 'Olga' });
    const listId = owner.listId;
    const { inviteCode } = await getList(t, owner);
    for (let i = 1; i < size.members; i++) {
      const member = await registerUser(t, { name: `Member ${i}` });
      await t.http.post('/lists/join').set(member.auth).send({ inviteCode }).expect(200);
    }
    const storeIds: string[] = [];
    for (let i = 0; i < size.stores; i++) {
      const res = await t.http
        .post(`/lists/${listId}/stores`)
        .set(owner.auth)
        .send({ name: `Store ${i}` });
      storeIds.push((res.body as { id: string }).id);
    }
    let tripId = '';
    for (let trip = 0; trip < size.trips; trip++) {
      for (let i = 0; i < tripItems(size); i++) {
        await checkItem(t, owner, listId, (await addItem(t, owner, listId, { name: `Bought ${i}` })).id);
      }
      const res = await t.http.post(`/lists/${listId}/trips`).set(owner.auth).send({ storeId: storeIds[0] });
      tripId = (res.body as { id: string }).id;
    }
    const itemIds: string[] = [];
    for (let i = 0; i < size.items; i++) itemIds.push((await addItem(t, owner, listId, { name: `Item ${i}` })).id);
    return { owner, listId, storeId: storeIds[0], tripId, itemIds };
  }

  interface Route {
    key: string;
    method: string;
    path: string;
    body?: (f: Fixture, n: number) => object;
  }

  /** Every authenticated GET of /docs-json, GET /lists/:id?storeId=, and the main writes. */
  function routesOf(doc: OpenApiDocument): Route[] {
    const operations = documentedOperations(doc);
    const authenticated = (op: Operation) => (op.security ?? []).length > 0;
    const reads = operations
      .filter(([key, op]) => key.startsWith('GET ') && authenticated(op) && !(key in NOT_COUNTED))
      .map(([key]): Route => ({ key, method: 'GET', path: key.slice(4) }));
    const byKey = new Map(operations);
    for (const key of WRITES) if (!byKey.has(key)) throw new Error(`${key} is not in /docs-json`);
    return [
      ...reads,
      { key: 'GET /lists/{id}?storeId', method: 'GET', path: '/lists/{id}?storeId={storeId}' },
      {
        key: WRITES[0],
        method: 'POST',
        path: '/lists/{listId}/items',
        body: (_f, n) => ({ name: `Added ${n}` }),
      },
      { key: WRITES[1], method: 'PATCH', path: '/lists/{listId}/items/{itemId}', body: () => ({ checked: true }) },
    ];
  }

  /** Per route: the statements of its second call (the first warms the session cache). */
  async function countAll(f: Fixture, routes: Route[]): Promise<Map<string, string[]>> {
    const counts = new Map<string, string[]>();
    let n = 0;
    for (const route of routes) {
      const measured: { status: number; statements: string[] }[] = [];
      for (let call = 0; call < 2; call++) {
        const path = fillPath(route.path, f, f.itemIds[n++ % f.itemIds.length]);
        measured.push(await statementsOf(f.owner, route.method, path, route.body?.(f, n)));
      }
      expect({ route: route.key, status: measured[1].status }).toEqual({
        route: route.key,
        status: route.method === 'POST' ? 201 : 200,
      });
      counts.set(route.key, measured[1].statements);
    }
    return counts;
  }

  beforeAll(() => {
    countStatements();
    enterContextPerRequest();
  });
  afterEach(() => jest.restoreAllMocks());

  it('should send as many statements for a large list as for a small one, on every authenticated GET and the main writes', async () => {
    const doc = (await t.http.get('/docs-json').expect(200)).body as OpenApiDocument;
    const routes = routesOf(doc);
    const small = await seed(SMALL);
    const large = await seed(LARGE);
    setNow(t, new Date());

    const smallCounts = await countAll(small, routes);
    const largeCounts = await countAll(large, routes);

    const table = (counts: Map<string, string[]>) =>
      Object.fromEntries(routes.map((r) => [r.key, counts.get(r.key)!.length]));
    // A route whose count grew, with both lists of statements (what to look at when this fails).
    const grown = routes
      .filter((r) => largeCounts.get(r.key)!.length !== smallCounts.get(r.key)!.length)
      .map((r) => ({ route: r.key, small: smallCounts.get(r.key), large: largeCounts.get(r.key) }));
    expect(grown).toEqual([]);
    expect(table(largeCounts)).toEqual(table(smallCounts));
    expect(Object.fromEntries(Object.keys(PINNED).map((key) => [key, largeCounts.get(key)!.length]))).toEqual(PINNED);
    // Every authenticated GET of the contract is counted (a new one joins by itself).
    expect(routes.map((r) => r.key)).toEqual(
      expect.arrayContaining([
        'GET /auth/me',
        'GET /auth/sessions',
        'GET /lists',
        'GET /lists/{id}',
        'GET /lists/{listId}/stores',
        'GET /lists/{listId}/suggestions',
        'GET /lists/{listId}/trips',
        'GET /lists/{listId}/trips/{tripId}',
      ]),
    );
  });

  it("should send the main routes' statements as named prepared statements, in this order", async () => {
    const f = await seed(SMALL);
    setNow(t, new Date());
    const itemPath = `/lists/${f.listId}/items`;
    await statementsOf(f.owner, 'GET', `/lists/${f.listId}`);
    const read = await statementsOf(f.owner, 'GET', `/lists/${f.listId}`);
    const added = await statementsOf(f.owner, 'POST', itemPath, { name: 'Oat milk' });
    const itemId = (await t.http.get(`/lists/${f.listId}`).set(f.owner.auth).expect(200)).body.items.find(
      (item: { name: string }) => item.name === 'Oat milk',
    ).id as string;
    const checked = await statementsOf(f.owner, 'PATCH', `${itemPath}/${itemId}`, { checked: true });

    expect([read.status, added.status, checked.status]).toEqual([200, 201, 200]);
    expect(read.statements.map(nameOf)).toEqual(['lists.view']);
    expect(added.statements.map(nameOf)).toEqual(['items.add']);
    expect(checked.statements.map(nameOf)).toEqual([
      'START TRANSACTION',
      'items.lock-for-member',
      'items.update-logged',
      'COMMIT',
    ]);
  });

  it('should read the session in one more statement when the cache is cold, and nothing else', async () => {
    const f = await seed(SMALL);
    setNow(t, new Date());
    await statementsOf(f.owner, 'GET', `/lists/${f.listId}`);
    const cached = await statementsOf(f.owner, 'GET', `/lists/${f.listId}`);
    setNow(t, new Date(Date.now() + 60_000));
    const expired = await statementsOf(f.owner, 'GET', `/lists/${f.listId}`);

    expect([cached.status, expired.status]).toEqual([200, 200]);
    expect(expired.statements).toHaveLength(cached.statements.length + 1);
    expect(expired.statements[0]).toMatch(/^sessions\.is-live: .*FROM sessions/);
  });
});

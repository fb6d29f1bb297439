import { StoresService } from '../src/stores/stores.service';
import { ReceiptStorage } from '../src/trips/receipt-storage';
import { S3ReceiptStorage } from '../src/trips/s3-receipt-storage';
import { useTestApp } from './support/app';
import { setNow } from './support/clock';
import { expectInvalidExactly } from './support/expect';
import { expectErrorBody, Registered, registerUser } from './support/factories';
import { addItem, buy, getList, Item, secondList, seqOf } from './support/lists';
import { bestOf, LOOP_BUDGET_MS } from './support/event-loop-budget';
import { binary, keyOf, photo, receiptSteps, storedReceiptKeys } from './support/receipts';
import { TestBucket, useS3Bucket } from './support/s3';
import { Frame, TestSocket, wsUrl } from './support/ws-client';

interface BoughtItem {
  name: string;
  quantity: number;
  unit: string;
  checkedBy: string | null;
}

interface ExportedTrip {
  id: string;
  completedBy: string | null;
  receiptUrl: string | null;
  items: BoughtItem[];
}

interface ExportedList {
  id: string;
  name: string;
  role: string;
  items: Item[];
  trips: ExportedTrip[];
  stores: { id: string; name: string; tripCount: number; learnedOrder: Record<string, number> }[];
  [field: string]: unknown;
}

interface ExportBody {
  exportedAt: string;
  profile: Record<string, unknown>;
  sessions: Record<string, unknown>[];
  lists: ExportedList[];
}

interface TripBody {
  id: string;
  listId: string;
  receiptUrl: string | null;
  completedAt: string;
}

describe("the user's data (issue 13)", () => {
  const t = useTestApp();
  afterEach(() => jest.restoreAllMocks());
  const receipts = receiptSteps(t);

  const join = async (u: Registered, listId: string, owner: Registered) => {
    const { inviteCode } = await getList(t, owner, listId);
    await t.http.post('/lists/join').set(u.auth).send({ inviteCode }).expect(200);
  };
  const appSocket = (u: Registered, listId: string) =>
    TestSocket.open(wsUrl(t, `/ws/lists/${listId}?token=${u.token}`));
  const exportOf = (u: Registered) => t.http.get('/auth/me/export').set(u.auth);
  const exported = async (u: Registered): Promise<ExportBody> =>
    JSON.parse((await exportOf(u).expect(200)).text) as ExportBody;
  const completeTrip = async (u: Registered, listId: string, body: object = {}): Promise<TripBody> =>
    (await t.http.post(`/lists/${listId}/trips`).set(u.auth).send(body).expect(201)).body as TripBody;

  describe('GET /auth/me/export', () => {
    it('should require authentication', async () => {
      const res = await t.http.get('/auth/me/export').expect(401);
      expectErrorBody(res.body, 401);
    });

    /**
     * Ana's list, which Bob joined: a store that learned Milk then Bread from a trip with a
     * receipt, and Eggs still on the list.
     */
    const fixture = async () => {
      const ana = await registerUser(t, { name: 'Ana' });
      const bob = await registerUser(t, { name: 'Bob' });
      await join(bob, ana.listId, ana);
      const store = (
        await t.http.post(`/lists/${ana.listId}/stores`).set(ana.auth).send({ name: 'Corner Shop' }).expect(201)
      ).body as { id: string };
      await buy(t, ana, ana.listId, [{ name: 'Milk', quantity: 2, unit: 'l' }, 'Bread']);
      const trip = await completeTrip(ana, ana.listId, { storeId: store.id });
      const receipt = await photo('png');
      await receipts.attach(ana, trip, receipt);
      const eggs = await addItem(t, ana, ana.listId, { name: 'Eggs', quantity: 12 });
      return { ana, bob, storeId: store.id, trip, eggs };
    };

    it('should send everything the user sees, as an attachment, field by field', async () => {
      const { ana, bob, storeId, trip, eggs } = await fixture();
      const now = new Date();
      setNow(t, now);

      const res = await exportOf(ana).expect(200);

      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.headers['content-disposition']).toBe(
        `attachment; filename="cartsync-export-${now.toISOString().slice(0, 10)}.json"`,
      );
      expect(res.headers['cache-control']).toBe('no-store');
      const body = JSON.parse(res.text) as ExportBody;
      const [{ created_at: createdAt }] = await t.dataSource.query<{ created_at: Date }[]>(
        `SELECT created_at FROM users WHERE id = $1`,
        [ana.userId],
      );
      const sessions = (await t.http.get('/auth/sessions').set(ana.auth).expect(200)).body as unknown[];
      const list = await getList(t, ana);
      const detail = (await t.http.get(`/lists/${ana.listId}/trips/${trip.id}`).set(ana.auth).expect(200))
        .body as unknown;
      const stores = (await t.http.get(`/lists/${ana.listId}/stores`).set(ana.auth).expect(200)).body as unknown[];
      const suggestions = (await t.http.get(`/lists/${ana.listId}/suggestions`).set(ana.auth).expect(200))
        .body as unknown[];

      expect(Object.keys(body)).toEqual(['exportedAt', 'profile', 'sessions', 'lists']);
      expect(body.exportedAt).toBe(now.toISOString());
      expect(body.profile).toEqual({
        id: ana.userId,
        email: ana.email,
        name: 'Ana',
        createdAt: createdAt.toISOString(),
        importedAt: null,
      });
      expect(body.sessions).toEqual(sessions);
      expect(body.sessions).toHaveLength(1);
      expect(body.sessions[0]).toMatchObject({ current: true, ip: '127.0.0.1' });
      expect(body.lists).toHaveLength(1);
      const [exportedList] = body.lists;
      expect(Object.keys(exportedList)).toEqual([
        'id',
        'name',
        'role',
        'createdAt',
        'members',
        'items',
        'stores',
        'trips',
        'suggestions',
      ]);
      expect({ ...exportedList, stores: undefined, trips: undefined, suggestions: undefined }).toEqual({
        id: ana.listId,
        name: "Ana's List",
        role: 'owner',
        createdAt: list.createdAt,
        members: [
          { id: ana.userId, name: 'Ana', email: ana.email, role: 'owner' },
          { id: bob.userId, name: 'Bob', email: bob.email, role: 'member' },
        ],
        items: [eggs],
        stores: undefined,
        trips: undefined,
        suggestions: undefined,
      });
      expect(exportedList.items[0]).toMatchObject({
        name: 'Eggs',
        quantity: 12,
        unit: '×',
        checked: false,
      });
      expect(exportedList.stores).toEqual(stores);
      expect(exportedList.stores).toHaveLength(1);
      expect(exportedList.stores[0]).toMatchObject({
        id: storeId,
        name: 'Corner Shop',
        tripCount: 1,
        learnedOrder: { Milk: 1, Bread: 2 },
      });
      expect(exportedList.trips).toEqual([detail]);
      expect(exportedList.trips[0]).toMatchObject({
        id: trip.id,
        storeId,
        storeName: 'Corner Shop',
        completedBy: ana.userId,
        itemCount: 2,
      });
      expect(exportedList.trips[0].items.map((i) => [i.name, i.quantity, i.unit, i.checkedBy])).toEqual([
        ['Milk', 2, 'l', ana.userId],
        ['Bread', 1, '×', ana.userId],
      ]);
      expect(exportedList.suggestions).toEqual(suggestions);
    });

    it('should give receipts as links that open the file, never the bytes', async () => {
      const { ana } = await fixture();
      const stored = await t.dataSource.query<{ bytes: Buffer }[]>(`SELECT bytes FROM receipt_files`);
      expect(stored).toHaveLength(1);

      const res = await exportOf(ana).expect(200);
      const link = (JSON.parse(res.text) as ExportBody).lists[0].trips[0].receiptUrl!;

      expect(link).toMatch(/^https?:\/\/[^/]+\/receipts\/[0-9a-f-]{36}\/[0-9a-f-]{36}\.png\?expires=\d+&sig=/);
      const opened = await receipts.open(link).expect(200);
      expect(opened.headers['content-type']).toBe('image/png');
      expect(Buffer.compare(opened.body as Buffer, stored[0].bytes)).toBe(0);
      expect(res.text).not.toContain(stored[0].bytes.toString('base64').slice(0, 40));
    });

    it('should hold no password hash, token or invite code', async () => {
      const { ana } = await fixture();
      const [{ password_hash: hash }] = await t.dataSource.query<{ password_hash: string }[]>(
        `SELECT password_hash FROM users WHERE id = $1`,
        [ana.userId],
      );
      const { inviteCode } = await getList(t, ana);

      const text = (await exportOf(ana).expect(200)).text;

      for (const secret of [hash, '$argon2', ana.token, ana.refreshToken, ana.password, inviteCode]) {
        expect(text).not.toContain(secret);
      }
      expect(text).not.toMatch(/password|refreshToken|"token"|inviteCode/i);
    });

    it('should give a member every list they joined, in the order they joined, with their role', async () => {
      const { ana, bob } = await fixture();

      const body = await exported(bob);

      expect(body.lists.map((l) => [l.id, l.name, l.role])).toEqual([
        [bob.listId, "Bob's List", 'owner'],
        [ana.listId, "Ana's List", 'member'],
      ]);
      expect(body.lists[1].trips).toHaveLength(1);
    });

    it('should read the whole trip history a page at a time, newest first, each trip with its items', async () => {
      const ana = await registerUser(t, { name: 'Ana' });
      // 120 trips: more than two pages of the export's reads.
      await t.dataSource.query(
        `INSERT INTO trips (list_id, completed_at, item_count)
         SELECT $1, now() - i * interval '1 minute', 1 FROM generate_series(1, 120) i`,
        [ana.listId],
      );
      await t.dataSource.query(
        `INSERT INTO trip_items (trip_id, item_id, product_key, name, quantity, unit, checked_by)
         SELECT id, gen_random_uuid(), 'milk', 'Milk', 1, 'l', $2 FROM trips WHERE list_id = $1`,
        [ana.listId, ana.userId],
      );
      const newestFirst = (
        await t.dataSource.query<{ id: string }[]>(
          `SELECT id FROM trips WHERE list_id = $1 ORDER BY completed_at DESC, id DESC`,
          [ana.listId],
        )
      ).map((row) => row.id);

      const trips = (await exported(ana)).lists[0].trips;

      expect(trips.map((trip) => trip.id)).toEqual(newestFirst);
      expect(new Set(trips.map((trip) => JSON.stringify(trip.items.map((i) => [i.name, i.checkedBy]))))).toEqual(
        new Set([JSON.stringify([['Milk', ana.userId]])]),
      );
    });

    it('should read every list in one snapshot: a write committed while the export runs is not in it', async () => {
      const { ana, bob } = await fixture();
      const stores = t.app.get(StoresService);
      const list = stores.list.bind(stores);
      // While Bob's own list is read (the first), an item is added to Ana's list (read next) and committed.
      jest.spyOn(stores, 'list').mockImplementationOnce(async (user, listId) => {
        await t.dataSource.query(`INSERT INTO items (list_id, name, added_by) VALUES ($1, 'Late', $2)`, [
          ana.listId,
          ana.userId,
        ]);
        return list(user, listId);
      });

      const body = await exported(bob);

      expect(body.lists[1].items.map((i) => i.name)).toEqual(['Eggs']);
      expect((await getList(t, bob, ana.listId)).items.map((i) => i.name)).toEqual(['Eggs', 'Late']);
    });
  });

  describe('DELETE /auth/me', () => {
    /**
     * The worked example: Ana owns L1 alone (a trip with a receipt), owns L2 shared with Bob
     * (joined first) and Cleo, and is a member of L3, Cleo's. On L2 she checked Apples, which Bob
     * bought, and added Pears.
     */
    const household = async () => {
      const ana = await registerUser(t, { name: 'Ana' });
      const bob = await registerUser(t, { name: 'Bob' });
      const cleo = await registerUser(t, { name: 'Cleo' });
      const l1 = ana.listId;
      const receipt = await receipts.attach(ana, await receipts.tripOf(ana, l1), await photo('jpeg'));
      const l2 = await secondList(t, ana);
      await join(bob, l2, ana);
      await join(cleo, l2, ana);
      await buy(t, ana, l2, ['Apples']);
      const l2Trip = await completeTrip(bob, l2);
      const pears = await addItem(t, ana, l2, { name: 'Pears' });
      const l3 = cleo.listId;
      await join(ana, l3, cleo);
      return { ana, bob, cleo, l1, l2, l3, receipt, l2Trip, pears };
    };
    const deleteAccount = (u: Registered, body: object = { password: u.password }) =>
      t.http.delete('/auth/me').set(u.auth).send(body);
    const count = async (sql: string, params: unknown[]) =>
      (await t.dataSource.query<{ n: number }[]>(sql, params))[0].n;

    it('should require authentication', async () => {
      const res = await t.http.delete('/auth/me').send({ password: 'correct horse battery' }).expect(401);
      expectErrorBody(res.body, 401);
    });

    it('should refuse a missing password with 400 and remove nothing', async () => {
      const ana = await registerUser(t, { name: 'Ana' });

      expectInvalidExactly(await deleteAccount(ana, {}), ['password']);

      await t.http.get('/auth/me').set(ana.auth).expect(200);
      expect(await count(`SELECT count(*)::int AS n FROM lists WHERE id = $1`, [ana.listId])).toBe(1);
    });

    it('should refuse a wrong password with 403 and remove nothing, the token still working', async () => {
      const { ana, bob, l1, l2, l3 } = await household();

      const res = await deleteAccount(ana, { password: 'not my password' }).expect(403);

      expectErrorBody(res.body, 403);
      expect(res.body.message).toBe('The password is incorrect.');
      await t.http.get('/auth/me').set(ana.auth).expect(200);
      expect((await getList(t, ana, l1)).members.map((m) => m.role)).toEqual(['owner']);
      expect((await getList(t, bob, l2)).members.map((m) => [m.name, m.role])).toEqual([
        ['Ana', 'owner'],
        ['Bob', 'member'],
        ['Cleo', 'member'],
      ]);
      expect((await getList(t, ana, l3)).members.map((m) => m.name)).toEqual(['Cleo', 'Ana']);
    });

    it('should count wrong passwords like failed sign-ins: past the account limit, 429', async () => {
      const ana = await registerUser(t, { name: 'Ana' });
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) statuses.push((await deleteAccount(ana, { password: `guess ${i}` })).status);

      expect(statuses.slice(0, 10)).toEqual(Array(10).fill(403));
      expect(statuses.slice(10)).toEqual([429, 429]);
      const res = await deleteAccount(ana).expect(429);
      expectErrorBody(res.body, 429);
      await t.http.get('/auth/me').set(ana.auth).expect(200);
    });

    it('should delete sole lists, hand shared ones over, leave the others and tell every socket', async () => {
      const { ana, bob, cleo, l1, l2, l3, receipt, l2Trip, pears } = await household();
      const [l2Head, l3Head] = [await seqOf(t, bob, l2), await seqOf(t, cleo, l3)];
      const anaOnL1 = await appSocket(ana, l1);
      const anaOnL2 = await appSocket(ana, l2);
      const anaOnL3 = await appSocket(ana, l3);
      const bobOnL2 = await appSocket(bob, l2);
      const cleoOnL3 = await appSocket(cleo, l3);
      const membersChanged = (frames: Frame[]) => frames.filter((f) => f.type === 'list:updated');

      await deleteAccount(ana).expect(204);

      // Ana's token stops at once (this instance had its session cached as live: SESSION_CACHE_MS);
      // her password opens nothing.
      expectErrorBody((await t.http.get('/lists').set(ana.auth).expect(401)).body, 401);
      expectErrorBody((await t.http.get('/auth/me').set(ana.auth).expect(401)).body, 401);
      await t.http.post('/auth/login').send({ email: ana.email, password: ana.password }).expect(401);
      // Her sockets: L1 deleted (4404), removed from L2 and L3 (4403).
      expect(await anaOnL1.waitForClose()).toBe(4404);
      expect(await anaOnL2.waitForClose()).toBe(4403);
      expect(await anaOnL3.waitForClose()).toBe(4403);
      // L1 and its receipt file are gone.
      expect(await count(`SELECT count(*)::int AS n FROM lists WHERE id = $1`, [l1])).toBe(0);
      expect(await storedReceiptKeys(t)).toEqual([]);
      await receipts.open(receipt.receiptUrl!).expect(404);
      // L2 is Bob's now, Cleo still a member; Bob's socket heard it once, in the app's frame.
      const bobsMembers = [
        { id: bob.userId, name: 'Bob', email: bob.email, role: 'owner' },
        { id: cleo.userId, name: 'Cleo', email: cleo.email, role: 'member' },
      ];
      await bobOnL2.waitFor((frames) => membersChanged(frames).length > 0);
      await bobOnL2.sync();
      expect(membersChanged(bobOnL2.frames)).toEqual([
        { type: 'list:updated', seq: l2Head + 1, payload: { id: l2, members: bobsMembers } },
      ]);
      expect(bobOnL2.closeCode).toBeUndefined();
      const l2Now = await getList(t, bob, l2);
      expect(l2Now.members).toEqual(bobsMembers);
      expect(l2Now.role).toBe('owner');
      // What Ana did on L2 stays, without her name on it.
      expect(l2Now.items).toEqual([{ ...pears, addedBy: null }]);
      const trip = (await t.http.get(`/lists/${l2}/trips/${l2Trip.id}`).set(bob.auth).expect(200)).body as ExportedTrip;
      expect(trip.completedBy).toBe(bob.userId);
      expect(trip.items.map((i) => [i.name, i.checkedBy])).toEqual([['Apples', null]]);
      // L3: Cleo alone, told on her socket.
      await cleoOnL3.waitFor((frames) => membersChanged(frames).length > 0);
      expect(membersChanged(cleoOnL3.frames)).toEqual([
        {
          type: 'list:updated',
          seq: l3Head + 1,
          payload: { id: l3, members: [{ id: cleo.userId, name: 'Cleo', email: cleo.email, role: 'owner' }] },
        },
      ]);
      expect((await getList(t, cleo, l3)).members.map((m) => m.id)).toEqual([cleo.userId]);
      // Nothing of the account is left.
      for (const table of ['users WHERE id = $1', 'sessions WHERE user_id = $1', 'list_members WHERE user_id = $1']) {
        expect({ table, n: await count(`SELECT count(*)::int AS n FROM ${table}`, [ana.userId]) }).toEqual({
          table,
          n: 0,
        });
      }
      expect(await count(`SELECT count(*)::int AS n FROM trip_items WHERE checked_by = $1`, [ana.userId])).toBe(0);
      await Promise.all([bobOnL2.close(), cleoOnL3.close()]);
    });

    it('should leave everything as it was when the deletion fails half-way', async () => {
      const { ana, bob, cleo, l1, l2, l3, receipt } = await household();
      const before = {
        l2: await getList(t, bob, l2),
        l3: await getList(t, cleo, l3),
        receipts: await storedReceiptKeys(t),
      };
      const anaOnL3 = await appSocket(ana, l3);
      const bobOnL2 = await appSocket(bob, l2);
      // The last step, removing the user's row, fails: the lists were already handed over and left by then.
      await t.dataSource.query(`
        CREATE FUNCTION test_refuse_user_deletion() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'refused by the test'; END $$`);
      await t.dataSource.query(`
        CREATE TRIGGER test_refuse_user_deletion BEFORE DELETE ON users
          FOR EACH ROW EXECUTE FUNCTION test_refuse_user_deletion()`);
      let res;
      try {
        res = await deleteAccount(ana);
      } finally {
        await t.dataSource.query(`DROP TRIGGER test_refuse_user_deletion ON users`);
        await t.dataSource.query(`DROP FUNCTION test_refuse_user_deletion()`);
      }

      expect(res.status).toBe(500);
      expectErrorBody(res.body, 500);
      await t.http.get('/auth/me').set(ana.auth).expect(200);
      expect((await getList(t, ana, l1)).members.map((m) => [m.name, m.role])).toEqual([['Ana', 'owner']]);
      expect(await getList(t, bob, l2)).toEqual(before.l2);
      expect(await getList(t, cleo, l3)).toEqual(before.l3);
      expect(await storedReceiptKeys(t)).toEqual(before.receipts);
      await receipts.open(receipt.receiptUrl!).expect(200);
      await Promise.all([anaOnL3.sync(), bobOnL2.sync()]);
      expect(anaOnL3.closeCode).toBeUndefined();
      expect(bobOnL2.frames.filter((f) => f.type === 'list:updated')).toEqual([]);
      await Promise.all([anaOnL3.close(), bobOnL2.close()]);
    });
  });
});

describe('DELETE /auth/me seen from another instance', () => {
  const a = useTestApp();
  // The same database: a's reset empties it for both.
  const b = useTestApp({}, { reset: false });
  afterEach(() => jest.restoreAllMocks());

  it("should close the account's sockets there, tell the others, and end its token once that instance's cache lapses", async () => {
    const ana = await registerUser(a, { name: 'Ana' });
    const bob = await registerUser(a, { name: 'Bob' });
    const { inviteCode } = await getList(a, ana);
    await a.http.post('/lists/join').set(bob.auth).send({ inviteCode }).expect(200);
    const head = await seqOf(a, bob, ana.listId);
    const anaThere = await TestSocket.open(wsUrl(b, `/ws/lists/${ana.listId}?token=${ana.token}`));
    const bobThere = await TestSocket.open(wsUrl(b, `/ws/lists/${ana.listId}?token=${bob.token}`));
    // b has Ana's session cached as live (SESSION_CACHE_MS, 2 s by default), from now on.
    const now = Date.now();
    setNow(b, new Date(now));
    await b.http.get('/lists').set(ana.auth).expect(200);

    await a.http.delete('/auth/me').set(ana.auth).send({ password: ana.password }).expect(204);

    expect(await anaThere.waitForClose()).toBe(4403);
    await bobThere.waitFor((frames) => frames.some((f) => f.type === 'list:updated'));
    expect(bobThere.frames.filter((f) => f.type === 'list:updated')).toEqual([
      {
        type: 'list:updated',
        seq: head + 1,
        payload: { id: ana.listId, members: [{ id: bob.userId, name: 'Bob', email: bob.email, role: 'owner' }] },
      },
    ]);
    // Within the cache's 2 s b may still let the token in (the account is gone: /auth/me says 401);
    // past them, b asks the database again.
    setNow(b, new Date(now + 2001));
    expectErrorBody((await b.http.get('/lists').set(ana.auth).expect(401)).body, 401);
    await bobThere.close();
  });
});

describe.each(['postgres', 's3'])("a deleted account's receipt files, with RECEIPT_STORE=%s", (store) => {
  const bucket: TestBucket | null = store === 's3' ? useS3Bucket() : null;
  const t = useTestApp(() => bucket?.env ?? {});
  const receipts = receiptSteps(t);
  beforeEach(() => bucket?.empty());

  /** The stored files (rows); with S3, once the app's sweeper has run, the bucket holds exactly their objects. */
  const storedFiles = async (): Promise<string[]> => {
    const rows = await storedReceiptKeys(t);
    if (bucket) {
      const storage = t.app.get(ReceiptStorage);
      if (!(storage instanceof S3ReceiptStorage)) throw new Error('this app keeps its receipts in PostgreSQL');
      await storage.sweep();
      expect(await bucket.keys()).toEqual(rows);
    }
    return rows;
  };

  it('should remove the files of the lists that go with the account, and keep those of a list handed over', async () => {
    const ana = await registerUser(t, { name: 'Ana' });
    const bob = await registerUser(t, { name: 'Bob' });
    const shared = await secondList(t, ana);
    const { inviteCode } = await getList(t, ana, shared);
    await t.http.post('/lists/join').set(bob.auth).send({ inviteCode }).expect(200);
    const alone = await receipts.attach(ana, await receipts.tripOf(ana), await photo('jpeg'));
    const kept = await receipts.attach(ana, await receipts.tripOf(ana, shared), await photo('png'));
    expect(await storedFiles()).toEqual([keyOf(alone.receiptUrl!), keyOf(kept.receiptUrl!)].sort());

    await t.http.delete('/auth/me').set(ana.auth).send({ password: ana.password }).expect(204);

    expect(await storedFiles()).toEqual([keyOf(kept.receiptUrl!)]);
    await receipts.open(alone.receiptUrl!).expect(404);
    await receipts.open(kept.receiptUrl!).expect(200);
  });
});

describe('the export of a list at the quota limits keeps the event loop free', () => {
  jest.setTimeout(240_000);
  const t = useTestApp();

  /** Defaults of MAX_ITEMS_PER_LIST, MAX_STORES_PER_LIST, STORE_LEARNED_PRODUCTS, TRIPS_KEPT_PER_LIST, TRIP_ITEMS_KEPT_PER_LIST. */
  const ITEMS = 2000;
  const STORES = 50;
  const LEARNED = 100;
  const TRIPS = 1000;
  const TRIP_ITEMS = 50_000;

  it('should run no task longer than the budget, /health answering all along, while GET /auth/me/export writes 2,000 items, 50 stores and 50,000 bought items', async () => {
    const ana = await registerUser(t, { name: 'Ana' });
    await t.dataSource.query(
      `INSERT INTO items (list_id, name, added_by, created_at)
       SELECT $1, 'Product ' || lpad(i::text, 4, '0'), $2, now() + i * interval '1 ms' FROM generate_series(1, $3::int) i`,
      [ana.listId, ana.userId, ITEMS],
    );
    await t.dataSource.query(
      `INSERT INTO stores (list_id, name, name_key, trip_count)
       SELECT $1, 'Store ' || s, 'store ' || s, 12 FROM generate_series(1, $2::int) s`,
      [ana.listId, STORES],
    );
    await t.dataSource.query(
      `INSERT INTO store_pairs (store_id, a, b, ab, ba, trip)
       SELECT st.id, 'product ' || lpad(i::text, 4, '0'), 'product ' || lpad(j::text, 4, '0'), 3, 0, 12
         FROM stores st, generate_series(1, $2::int) i, generate_series(1, $2::int) j
        WHERE st.list_id = $1 AND i < j`,
      [ana.listId, LEARNED],
    );
    await t.dataSource.query(
      `INSERT INTO trips (list_id, completed_by, completed_at, item_count)
       SELECT $1, $2, now() - i * interval '1 hour', $4::int / $3::int FROM generate_series(1, $3::int) i`,
      [ana.listId, ana.userId, TRIPS, TRIP_ITEMS],
    );
    await t.dataSource.query(
      `INSERT INTO trip_items (trip_id, item_id, product_key, name, quantity, unit, checked_by)
       SELECT t.id, gen_random_uuid(), 'product ' || lpad(i::text, 4, '0'), 'Product ' || lpad(i::text, 4, '0'), 1, 'l', $2
         FROM trips t, generate_series(1, $3::int) i WHERE t.list_id = $1`,
      [ana.listId, ana.userId, TRIP_ITEMS / TRIPS],
    );

    // The body is kept as bytes while measuring: parsing 10 MB of JSON here would be the test's own long task.
    const figures = await bestOf(t, () =>
      t.http.get('/auth/me/export').set(ana.auth).buffer(true).parse(binary).expect(200),
    );

    // Judged by the CPU time of the loop's longest task: what the export itself holds the loop for.
    // The wall-clock figures (loop delay, /health's answer) follow the machine's load and the
    // worker's garbage collections: on a machine at load 10 the stores route alone, by the same
    // measure, went past 100 ms. They are shown beside it when it fails.
    const { result: _result, ...measured } = figures;
    expect({ longestTaskCpuMs: figures.longestTaskCpuMs < LOOP_BUDGET_MS, measured }).toEqual({
      longestTaskCpuMs: true,
      measured,
    });
    // /health kept answering all along (a probe every ~10 ms).
    expect(figures.probes).toBeGreaterThan(10);
    const [list] = (JSON.parse((figures.result.body as Buffer).toString('utf8')) as ExportBody).lists;
    expect([list.items.length, list.stores.length, list.trips.length]).toEqual([ITEMS, STORES, TRIPS]);
    expect(list.trips.reduce((sum, trip) => sum + trip.items.length, 0)).toBe(TRIP_ITEMS);
    expect(Object.keys(list.stores[0].learnedOrder)).toHaveLength(LEARNED);
  });
});

import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { useTestApp } from './support/app';
import { createLegacyDb, LegacyDb, OLD } from './support/legacy-db';
import { photo } from './support/receipts';

const ROOT = join(__dirname, '..');
/** The old server's JWT_SECRET, as the operator copies it into LEGACY_JWT_SECRET. */
const OLD_SECRET = 'the-old-go-servers-jwt-secret-for-the-import';
const DAY_S = 86_400;

/** A token as the old server signed it a day before the import: HS256, claims userId, exp (30 days), iat. */
function oldToken(userId: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const iat = Math.floor(Date.now() / 1000) - DAY_S;
  const input = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ userId, exp: iat + 30 * DAY_S, iat })}`;
  return `${input}.${createHmac('sha256', OLD_SECRET).update(input).digest('base64url')}`;
}
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

interface Report {
  dryRun: boolean;
  changes: number;
  tables: Record<string, { read: number; written: number; unchanged: number; skipped: number }>;
  entries: { table: string; legacyId: string; outcome: string; reason: string }[];
}

/** `npm run import:legacy` as an operator runs it, from the sources (no build), as a child process. */
function runImport(
  args: string[],
  json = true,
): Promise<{ code: number; report: Report; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [
        '-r',
        join(ROOT, 'test/support/ts-register.js'),
        join(ROOT, 'src/legacy/import-legacy.ts'),
        ...args,
        ...(json ? ['--json'] : []),
      ],
      { cwd: ROOT, env: { ...process.env }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? ((error as { code?: number }).code ?? 1) : 0;
        resolve({ code, report: (code === 0 && json ? JSON.parse(stdout) : null) as Report, stdout, stderr });
      },
    );
  });
}

describe('npm run import:legacy (issue 11)', () => {
  const t = useTestApp({ LEGACY_JWT_SECRET: OLD_SECRET }, { reset: false });
  let legacy: LegacyDb;
  /** Anna's, once the import test signed her in. */
  let auth: { Authorization: string };

  /** Every table the import writes, as rows in a stable order (receipt bytes by length). */
  async function dump(): Promise<string> {
    const tables = [
      'users',
      'lists',
      'list_members',
      'items',
      'stores',
      'store_pairs',
      'store_products',
      'trips',
      'trip_items',
      'legacy_ids',
    ];
    const out: Record<string, unknown> = {};
    for (const table of tables) out[table] = await t.dataSource.query(`SELECT * FROM ${table} ORDER BY 1, 2, 3`);
    out.receipt_files = await t.dataSource.query(
      `SELECT key, trip_id, content_type, size FROM receipt_files ORDER BY key`,
    );
    return JSON.stringify(out);
  }

  beforeAll(async () => {
    await t.reset();
    legacy = await createLegacyDb();
  }, 60_000);
  afterAll(() => legacy?.drop());

  it('should write nothing on --dry-run and say what it would do', async () => {
    const before = await dump();
    const { code, report } = await runImport(['--from', legacy.url, '--uploads', legacy.uploads, '--dry-run']);
    expect(code).toBe(0);
    expect(report.dryRun).toBe(true);
    expect(report.tables.users).toEqual({ read: 4, written: 3, unchanged: 0, skipped: 1 });
    expect(report.changes).toBeGreaterThan(0);
    expect(await dump()).toBe(before);
  }, 60_000);

  it('should import the households, report the corrupt rows, and a second run should change nothing', async () => {
    const first = await runImport(['--from', legacy.url, '--uploads', legacy.uploads]);
    expect(first.code).toBe(0);
    const r = first.report;
    expect(r.tables.users).toEqual({ read: 4, written: 3, unchanged: 0, skipped: 1 });
    expect(r.tables.lists).toEqual({ read: 2, written: 2, unchanged: 0, skipped: 0 });
    expect(r.tables.list_members).toEqual({ read: 5, written: 4, unchanged: 0, skipped: 1 });
    expect(r.tables.items).toEqual({ read: 5, written: 5, unchanged: 0, skipped: 0 });
    expect(r.tables.stores).toEqual({ read: 1, written: 1, unchanged: 0, skipped: 0 });
    expect(r.tables.store_order_entries).toEqual({ read: 4, written: 4, unchanged: 0, skipped: 0 });
    expect(r.tables.trips).toEqual({ read: 4, written: 4, unchanged: 0, skipped: 0 });
    expect(r.tables.trip_items).toEqual({ read: 4, written: 4, unchanged: 0, skipped: 0 });
    expect(r.tables.receipts).toEqual({ read: 3, written: 1, unchanged: 0, skipped: 2 });
    expect(first.stderr).toBe('lists 1/2\nlists 2/2\n');
    const why = (legacyId: string) =>
      r.entries.filter((e) => e.legacyId === legacyId).map((e) => `${e.outcome}: ${e.reason}`);
    expect(why(OLD.annaTwin.id)).toEqual([
      `skipped: email anna@example.com differs only in case from user ${OLD.anna.id}'s (kept, the earlier account); not merged`,
    ]);
    expect(why(`${OLD.flat}/${OLD.ghost}`)).toEqual([`skipped: user ${OLD.ghost} was not imported`]);
    expect(why(OLD.broken)).toEqual(['fixed: quantity -2 is not a positive number: imported as 1']);
    expect(why(OLD.tripMissing)).toEqual(['skipped: missing.jpg: cannot be read (ENOENT)']);
    expect(why(OLD.tripFake)).toEqual([expect.stringMatching(/^skipped: fake\.jpg: rejected: ./)]);
    expect(why(OLD.cleo.id)[0]).toMatch(/^fixed: id is not a UUID: imported as [0-9a-f-]{36}$/);

    const users: { id: string; email: string; password_hash: string; legacy_imported_at: Date | null }[] =
      await t.dataSource.query(`SELECT id, email, password_hash, legacy_imported_at FROM users ORDER BY created_at`);
    expect(users.map((u) => u.email)).toEqual(['anna@example.com', 'ben@example.com', 'cleo@example.com']);
    expect(users[0].id).toBe(OLD.anna.id.toLowerCase());
    expect(users[0].password_hash).toMatch(/^\$2[aby]\$10\$/);
    expect(users.every((u) => u.legacy_imported_at !== null)).toBe(true);

    // The old password signs in (bcrypt checked) and the stored hash becomes argon2id.
    const login = await t.http
      .post('/auth/login')
      .send({ email: ' ANNA@example.com', password: OLD.password })
      .expect(200);
    const [rehashed]: { password_hash: string }[] = await t.dataSource.query(
      `SELECT password_hash FROM users WHERE id = $1`,
      [users[0].id],
    );
    expect(rehashed.password_hash).toMatch(/^\$argon2id\$/);
    await t.http.post('/auth/login').send({ email: 'anna@example.com', password: OLD.password }).expect(200);

    // The phones' old tokens keep working (LEGACY_JWT_SECRET): Ben's id was a UUID, Cleo's was
    // not (it maps through legacy_ids); logging out with one ends it like any session.
    for (const [oldId, email] of [
      [OLD.ben.id, 'ben@example.com'],
      [OLD.cleo.id, 'cleo@example.com'],
    ]) {
      const token = oldToken(oldId);
      const me = await t.http.get('/auth/me').set(bearer(token)).expect(200);
      expect((me.body as { email: string }).email).toBe(email);
      await t.http.post('/auth/logout').set(bearer(token)).send({}).expect(204);
      await t.http.get('/auth/me').set(bearer(token)).expect(401);
    }
    auth = { Authorization: `Bearer ${(login.body as { token: string }).token}` };

    const list = await t.http.get(`/lists/${OLD.home}`).set(auth).expect(200);
    const body = list.body as {
      id: string;
      members: { id: string; role: string }[];
      items: { id: string; name: string; quantity: number; checked: boolean; checkedBy: string | null }[];
      inviteCode: string;
    };
    expect(body.id).toBe(OLD.home);
    expect(body.members.map((m) => [m.id, m.role])).toEqual([
      [OLD.anna.id.toLowerCase(), 'owner'],
      [OLD.ben.id, 'member'],
    ]);
    expect(body.items.map((i) => [i.id, i.name, i.quantity, i.checked, i.checkedBy])).toEqual([
      [OLD.milk, 'Milk', 2, true, OLD.ben.id],
      [OLD.bread, 'Bread', 1, false, null],
      [OLD.eggs, 'Eggs', 12, false, null],
      [OLD.broken, 'Butter', 1, false, null],
    ]);
    expect(body.inviteCode).toMatch(/^[0-9A-HJKMNP-TV-Z]{3}-[0-9A-HJKMNP-TV-Z]{3}$/);

    const stores = await t.http.get(`/lists/${OLD.home}/stores`).set(auth).expect(200);
    const lidl = (stores.body as { id: string; tripCount: number; learnedOrder: Record<string, number> }[])[0];
    expect(lidl.id).toBe(OLD.lidl);
    expect(lidl.tripCount).toBe(7);
    const ranked = Object.entries(lidl.learnedOrder)
      .sort((x, y) => x[1] - y[1])
      .map(([name]) => name);
    expect(ranked).toEqual(['Apples', 'Bread', 'Milk', 'Eggs']);

    const trips = await t.http.get(`/lists/${OLD.home}/trips`).set(auth).expect(200);
    const history = trips.body as { id: string; receiptUrl: string | null }[];
    expect(history.map((trip) => trip.id)).toEqual([OLD.tripFake, OLD.tripMissing, OLD.tripNew, OLD.tripOld]);
    expect(history.map((trip) => trip.receiptUrl !== null)).toEqual([false, false, false, true]);
    const link = new URL(history[3].receiptUrl!);
    const receipt = await t.http.get(link.pathname + link.search).expect(200);
    expect(receipt.headers['content-type']).toBe('image/png');

    // A second run finds every row and writes nothing.
    const before = await dump();
    const second = await runImport(['--from', legacy.url, '--uploads', legacy.uploads]);
    expect(second.code).toBe(0);
    expect(second.report.changes).toBe(0);
    expect(second.report.tables.items).toEqual({ read: 5, written: 0, unchanged: 5, skipped: 0 });
    // The receipts missing or rejected before are tried again, and reported again.
    expect(second.report.tables.receipts).toEqual({ read: 3, written: 0, unchanged: 1, skipped: 2 });
    expect(second.report.entries.filter((e) => e.table === 'receipts').map((e) => e.legacyId)).toEqual([
      OLD.tripMissing,
      OLD.tripFake,
    ]);
    expect(await dump()).toBe(before);
    const third = await runImport(['--from', legacy.url], false);
    expect(third.code).toBe(0);
    expect(third.stdout).toContain('\n0 change(s).\n');
    expect(third.stdout).toMatch(/\nitems +5 +0 +5 +0\n/);
    expect(await dump()).toBe(before);

    // The operator finds the missing receipt: the next run takes it, and only it.
    await writeFile(join(legacy.uploads, 'missing.jpg'), await photo('jpeg'));
    const fourth = await runImport(['--from', legacy.url, '--uploads', legacy.uploads]);
    expect(fourth.report.changes).toBe(1);
    expect(fourth.report.tables.receipts).toEqual({ read: 3, written: 1, unchanged: 1, skipped: 1 });
    const [late] = (await t.http.get(`/lists/${OLD.home}/trips`).set(auth).expect(200)).body as {
      receiptUrl: string | null;
    }[];
    expect(late.receiptUrl).toBeNull();
    const detail = await t.http.get(`/lists/${OLD.home}/trips/${OLD.tripMissing}`).set(auth).expect(200);
    const lateLink = new URL((detail.body as { receiptUrl: string }).receiptUrl);
    const lateFile = await t.http.get(lateLink.pathname + lateLink.search).expect(200);
    expect(lateFile.headers['content-type']).toBe('image/jpeg');

    // The app's flows on imported data: add, check, complete with the store.
    const added = await t.http.post(`/lists/${OLD.home}/items`).set(auth).send({ name: 'Jam' }).expect(201);
    await t.http.patch(`/lists/${OLD.home}/items/${OLD.bread}`).set(auth).send({ checked: true }).expect(200);
    await t.http.post(`/lists/${OLD.home}/trips`).set(auth).send({ storeId: OLD.lidl }).expect(201);
    expect((added.body as { name: string }).name).toBe('Jam');
  }, 120_000);

  it('should let three trips here move a product the imported order had elsewhere (the seed is capped)', async () => {
    const reversed = ['Eggs', 'Apples', 'Bread', 'Milk'];
    for (let trip = 0; trip < 3; trip++) {
      await t.http.post(`/lists/${OLD.home}/stores/${OLD.lidl}/order`).set(auth).send({ order: reversed }).expect(200);
      const item = await t.http.post(`/lists/${OLD.home}/items`).set(auth).send({ name: 'Eggs' }).expect(201);
      await t.http
        .patch(`/lists/${OLD.home}/items/${(item.body as { id: string }).id}`)
        .set(auth)
        .send({ checked: true })
        .expect(200);
      await t.http.post(`/lists/${OLD.home}/trips`).set(auth).send({ storeId: OLD.lidl }).expect(201);
    }
    const stores = await t.http.get(`/lists/${OLD.home}/stores`).set(auth).expect(200);
    const lidl = (stores.body as { tripCount: number; learnedOrder: Record<string, number> }[])[0];
    expect(lidl.tripCount).toBe(11);
    const ranked = Object.entries(lidl.learnedOrder)
      .filter(([name]) => reversed.includes(name))
      .sort((x, y) => x[1] - y[1])
      .map(([name]) => name);
    expect(ranked).toEqual(reversed);
  }, 60_000);

  it('should exit 2 with the usage without --from', async () => {
    const { code, stderr } = await runImport([]);
    expect(code).toBe(2);
    expect(stderr).toContain('--from is required');
  }, 30_000);
});

import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source';
import { createTestApp, useTestApp } from './support/app';
import { eventually } from './support/eventually';
import { Registered, registerUser } from './support/factories';
import { getList, ownerAndMember } from './support/lists';
import { TestSocket, wsUrl } from './support/ws-client';

/**
 * What someone holding a copy of the database (a backup, a replica, a dump) would read:
 * every row of every table as text. A secret must appear in none of them, neither as it is
 * nor hex-encoded (as it would be in a bytea).
 */
describe('secrets at rest', () => {
  const t = useTestApp();

  async function databaseDump(): Promise<string> {
    const tables: { tablename: string }[] = await t.dataSource.query(
      `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`,
    );
    expect(tables.map((row) => row.tablename)).toEqual(
      expect.arrayContaining(['idempotency_keys', 'lists', 'list_events']),
    );
    const parts: string[] = [];
    for (const { tablename } of tables) {
      const rows: { row: string }[] = await t.dataSource.query(`SELECT t::text AS row FROM "${tablename}" t`);
      parts.push(`${tablename}: ${rows.map((r) => r.row).join('\n')}`);
    }
    return parts.join('\n');
  }

  async function expectNotInDump(...secrets: string[]): Promise<void> {
    const dump = await databaseDump();
    for (const secret of secrets) {
      const forms = [secret, Buffer.from(secret).toString('hex'), Buffer.from(secret).toString('base64')];
      expect({ secret, found: forms.filter((form) => dump.includes(form)) }).toEqual({ secret, found: [] });
    }
  }

  function keyed(user: Registered, path: string, key: string) {
    return t.http.post(path).set(user.auth).set('Idempotency-Key', key);
  }

  it('should keep a keyed WebSocket ticket out of the database, and still replay the same working ticket', async () => {
    const ana = await registerUser(t);
    const key = randomUUID();
    const first = await keyed(ana, '/ws/ticket', key).send({ listId: ana.listId }).expect(201);
    const ticket = first.body.ticket as string;
    expect(ticket.length).toBeGreaterThanOrEqual(43);

    await expectNotInDump(ticket);

    const replay = await keyed(ana, '/ws/ticket', key).send({ listId: ana.listId }).expect(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(first.body);
    const socket = await TestSocket.open(wsUrl(t, `/ws/lists/${ana.listId}?ticket=${replay.body.ticket}`));
    await socket.sync();
    await socket.close();
  });

  it("should keep a keyed list creation's invite code out of the database, replay it, and let a partner join with it", async () => {
    const ana = await registerUser(t);
    const bob = await registerUser(t);
    const key = randomUUID();
    const first = await keyed(ana, '/lists', key).send({ name: 'Party' }).expect(201);
    const code = first.body.inviteCode as string;

    await expectNotInDump(code, code.replace('-', ''));

    const replay = await keyed(ana, '/lists', key).send({ name: 'Party' }).expect(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(first.body);
    const mine = await t.http.get('/lists').set(ana.auth).expect(200);
    expect(mine.body.find((list: { id: string }) => list.id === first.body.id).inviteCode).toBe(code);
    const joined = await t.http.post('/lists/join').set(bob.auth).send({ inviteCode: code }).expect(200);
    expect(joined.body).toMatchObject({ id: first.body.id, inviteCode: code, role: 'member' });
  });

  it('should keep a keyed join (the invite code in its body) and its answer out of the database', async () => {
    const ana = await registerUser(t);
    const bob = await registerUser(t);
    const { inviteCode } = await getList(t, ana);
    const key = randomUUID();
    await keyed(bob, '/lists/join', key).send({ inviteCode }).expect(200);
    const replay = await keyed(bob, '/lists/join', key).send({ inviteCode }).expect(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    await expectNotInDump(inviteCode);
    // Nor an unkeyed digest of the request: 30 bits of code are found again from it in seconds.
    const digest = createHash('sha256')
      .update(`POST /lists/join\n${JSON.stringify({ inviteCode })}`)
      .digest('base64url');
    expect(await databaseDump()).not.toContain(digest);
  });

  it('should keep a rotated invite code out of the event log, and still send it to the list’s sockets', async () => {
    const { owner, listId } = await ownerAndMember(t);
    const before = await getList(t, owner, listId);
    const socket = await TestSocket.open(wsUrl(t, `/ws/lists/${listId}?token=${owner.token}&since=${before.seq}`));
    const rotated = await t.http.post(`/lists/${listId}/invite-code`).set(owner.auth).expect(200);
    const code = rotated.body.inviteCode as string;
    expect(code).not.toBe(before.inviteCode);

    await socket.waitForSeq(before.seq + 1);
    expect(socket.durable()).toEqual([
      { type: 'list:updated', seq: before.seq + 1, payload: { id: listId, inviteCode: code } },
    ]);
    await socket.close();
    // A client resuming later gets the same frame from the log.
    const resumed = await TestSocket.open(wsUrl(t, `/ws/lists/${listId}?token=${owner.token}&since=${before.seq}`));
    await resumed.waitForSeq(before.seq + 1);
    expect(resumed.durable()[0].payload).toEqual({ id: listId, inviteCode: code });
    await resumed.close();

    await expectNotInDump(code, before.inviteCode);
  });

  it('should keep tokens, refresh tokens, tickets and reset codes hashed: none of them in clear', async () => {
    const ana = await registerUser(t);
    const ticket = await t.http.post('/ws/ticket').set(ana.auth).send({ listId: ana.listId }).expect(201);
    await t.http.post('/auth/password-reset/request').send({ email: ana.email }).expect(202);
    await expectNotInDump(ana.token, ana.refreshToken, ticket.body.ticket as string, ana.password);
    // Six digits could turn up in any timestamp of the dump: the code's own row is what must not hold it.
    const code = await resetCodeFromOutbox(ana.email);
    const rows: { row: string }[] = await t.dataSource.query(`SELECT t::text AS row FROM password_reset_codes t`);
    expect(rows).toHaveLength(1);
    expect(rows[0].row).not.toContain(code);
  });

  it('should ignore Idempotency-Key on the public auth routes: their tokens are never stored or replayed', async () => {
    const ana = await registerUser(t);
    const key = randomUUID();
    const login = () =>
      t.http.post('/auth/login').set('Idempotency-Key', key).send({ email: ana.email, password: ana.password });
    const first = await login().expect(200);
    const second = await login().expect(200);
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expect(second.body.refreshToken).not.toBe(first.body.refreshToken);
    const refreshed = await t.http
      .post('/auth/refresh')
      .set('Idempotency-Key', key)
      .send({ refreshToken: second.body.refreshToken })
      .expect(200);
    await t.http
      .post('/auth/register')
      .set('Idempotency-Key', key)
      .send({ email: `other-${randomUUID()}@example.com`, password: 'correct horse battery', name: 'Bo' })
      .expect(201);
    const [{ n }]: { n: number }[] = await t.dataSource.query(`SELECT count(*)::int AS n FROM idempotency_keys`);
    expect(n).toBe(0);
    await expectNotInDump(first.body.token, second.body.token, refreshed.body.refreshToken);
  });

  describe('stored answers that cannot be opened are never run again', () => {
    const ANSWER_GONE = 'This request was already processed; its answer can no longer be replayed.';

    async function itemCount(listId: string): Promise<number> {
      const [{ n }]: { n: number }[] = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM items WHERE list_id = $1`,
        [listId],
      );
      return n;
    }

    it('should answer 409 and write nothing for a retry whose stored answer was altered', async () => {
      const ana = await registerUser(t);
      const key = randomUUID();
      await keyed(ana, `/lists/${ana.listId}/items`, key).send({ name: 'Milk' }).expect(201);
      await t.dataSource.query(
        `UPDATE idempotency_keys SET response_sealed = set_byte(response_sealed, 40, get_byte(response_sealed, 40) # 1)`,
      );
      const retry = await keyed(ana, `/lists/${ana.listId}/items`, key).send({ name: 'Milk' }).expect(409);
      expect(retry.body).toMatchObject({ statusCode: 409, message: ANSWER_GONE });
      expect(await itemCount(ana.listId)).toBe(1);
    });

    it("should not open one user's stored answer in another user's row (the row's identity is authenticated)", async () => {
      const ana = await registerUser(t);
      const bob = await registerUser(t);
      const key = randomUUID();
      const body = { listId: ana.listId };
      await keyed(ana, '/ws/ticket', key).send(body).expect(201);
      await keyed(bob, '/ws/ticket', key).send({ listId: bob.listId }).expect(201);
      // Bob's row gets Ana's sealed answer (a ticket to Ana's list) and Ana's request digest.
      await t.dataSource.query(
        `UPDATE idempotency_keys b SET response_sealed = a.response_sealed, request_hash = a.request_hash
           FROM idempotency_keys a WHERE a.scope = $1 AND b.scope = $2 AND a.key = b.key`,
        [`user:${ana.userId}`, `user:${bob.userId}`],
      );
      const res = await keyed(bob, '/ws/ticket', key).send(body).expect(409);
      expect(res.body).toMatchObject({ statusCode: 409, message: ANSWER_GONE });
    });
  });

  describe('after a JWT_SECRET change, a list whose code cannot be opened', () => {
    it('should get a fresh working code on the next member read', async () => {
      const ana = await registerUser(t);
      const bob = await registerUser(t);
      const before = await getList(t, ana);
      await t.dataSource.query(`UPDATE lists SET invite_code_sealed = '\\x00' WHERE id = $1`, [ana.listId]);
      const after = await getList(t, ana);
      expect(after.inviteCode).toMatch(/^[0-9A-HJKMNP-TV-Z]{3}-[0-9A-HJKMNP-TV-Z]{3}$/);
      await t.http.post('/lists/join').set(bob.auth).send({ inviteCode: after.inviteCode }).expect(200);
      expect(after.inviteCode).not.toBe(before.inviteCode);
    });
  });
});

/**
 * A database from before SealedSecrets1764200000004 (the migration undone, rows written the
 * way the previous version wrote them), then a server of this version started on it.
 */
describe('upgrading a database that kept secrets in clear', () => {
  const name = `cartsync_sealing_${process.env.JEST_WORKER_ID ?? '1'}`;
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `/${name}`;

  beforeAll(async () => {
    const admin = new Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
  });

  it('should seal the plain invite codes at boot, keep them working, and refuse retries it can no longer answer', async () => {
    // This version creates the schema and the users; then the database goes back to before SealedSecrets.
    let t = await createTestApp({ DATABASE_URL: url.toString() });
    const ana = await registerUser(t);
    const bob = await registerUser(t);
    await t.close();
    const old = new DataSource(dataSourceOptions({ url: url.toString(), ssl: false }));
    await old.initialize();
    // Later migrations are undone first, down to and including SealedSecrets.
    const sealed = () => old.query(`SELECT 1 FROM migrations WHERE name = 'SealedSecrets1764200000004'`);
    while ((await sealed()).length > 0) await old.undoLastMigration({ transaction: 'all' });
    const code = 'ABC-DEF';
    const ticket = 'a-plain-ticket-kept-by-the-previous-version';
    const described = `POST /ws/ticket\n${JSON.stringify({ listId: ana.listId })}`;
    await old.query(`UPDATE lists SET invite_code = $2, invite_expires_at = now() + interval '1 day' WHERE id = $1`, [
      ana.listId,
      code,
    ]);
    await old.query(
      `INSERT INTO idempotency_keys (scope, key, request_hash, status_code, response, created_at, locked_until)
       VALUES ($1, 'old-key', $2, 201, $3, now(), now())`,
      [`user:${ana.userId}`, createHash('sha256').update(described).digest('base64url'), { ticket }],
    );
    await old.query(`INSERT INTO list_events (list_id, seq, type, payload) VALUES ($1, 99, 'list:updated', $2)`, [
      ana.listId,
      { id: ana.listId, inviteCode: code },
    ]);
    await old.destroy();

    t = await createTestApp({ DATABASE_URL: url.toString() });
    try {
      const dump: { row: string }[] = await t.dataSource.query(
        `SELECT t::text AS row FROM lists t UNION ALL SELECT t::text FROM idempotency_keys t UNION ALL SELECT t::text FROM list_events t`,
      );
      for (const secret of [code, ticket]) expect(dump.filter(({ row }) => row.includes(secret))).toEqual([]);

      expect((await getList(t, ana)).inviteCode).toBe(code);
      await t.http.post('/lists/join').set(bob.auth).send({ inviteCode: code }).expect(200);

      const retry = await t.http
        .post('/ws/ticket')
        .set(ana.auth)
        .set('Idempotency-Key', 'old-key')
        .send({ listId: ana.listId })
        .expect(409);
      expect(retry.body.message).toBe('This request was already processed; its answer can no longer be replayed.');
      const other = await t.http
        .post('/ws/ticket')
        .set(ana.auth)
        .set('Idempotency-Key', 'old-key')
        .send({ listId: bob.listId })
        .expect(422);
      expect(other.body.message).toBe('This Idempotency-Key was used with a different request.');
    } finally {
      await t.close();
    }
  });
});

/** The dev outbox (no SMTP configured): the reset code in the newest message to `to`. */
function resetCodeFromOutbox(to: string): Promise<string> {
  const outbox = join(process.env.DATA_DIR!, 'mail');
  return eventually(async () => {
    const files = (await readdir(outbox).catch(() => [] as string[])).sort().reverse();
    for (const file of files) {
      const text = await readFile(join(outbox, file), 'utf8');
      const match = /code is (\d{6})/.exec(text);
      if (text.includes(`To: ${to}`) && match) return match[1];
    }
    throw new Error(`no reset mail to ${to} in ${outbox}`);
  });
}

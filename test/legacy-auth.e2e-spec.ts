import * as bcrypt from 'bcrypt';
import { createHmac } from 'node:crypto';
import { PasswordResetService } from '../src/auth/password-reset.service';
import { TestApp, useTestApp } from './support/app';
import { setNow } from './support/clock';
import { expectErrorBody, registerUser } from './support/factories';
import { resetCodeIn, TestSmtpServer } from './support/smtp';
import { RefusedHandshake, TestSocket, wsUrl } from './support/ws-client';

/** The old server's JWT_SECRET, as the operator copies it into LEGACY_JWT_SECRET. */
const OLD_SECRET = 'the-old-go-servers-jwt-secret-0123456789';
const PASSWORD = 'correct horse battery';
const DAY_S = 86_400;

type Json = Record<string, unknown>;

/** A token as the old server signed it: HS256, claims userId, exp, iat (internal/token/token.go). */
function oldToken(payload: Json, secret: string | undefined = OLD_SECRET, header: Json = { alg: 'HS256', typ: 'JWT' }) {
  const part = (value: Json) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${part(header)}.${part(payload)}`;
  const signature = secret === undefined ? '' : createHmac('sha256', secret).update(input).digest('base64url');
  return `${input}.${signature}`;
}

const nowS = () => Math.floor(Date.now() / 1000);
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** An account as the import leaves it: registered here, then marked imported at `importedAt`. */
async function importedUser(t: TestApp, options: { importedAt?: Date | null; bcryptHash?: string } = {}) {
  const user = await registerUser(t, { password: PASSWORD });
  const importedAt = options.importedAt === undefined ? new Date(Date.now() - 3600_000) : options.importedAt;
  await t.dataSource.query(
    `UPDATE users SET legacy_imported_at = $2, legacy_tokens_before = $2, password_hash = COALESCE($3, password_hash) WHERE id = $1`,
    [user.userId, importedAt, options.bcryptHash ?? null],
  );
  // Only the old token is in play: the registration's own session is ended.
  await t.dataSource.query(`UPDATE sessions SET revoked_at = now() WHERE user_id = $1`, [user.userId]);
  const token = oldToken({ userId: user.userId, iat: nowS() - DAY_S, exp: nowS() + 29 * DAY_S });
  return { ...user, old: token };
}

async function storedHash(t: TestApp, userId: string): Promise<string> {
  const [row] = await t.dataSource.query<{ password_hash: string }[]>(`SELECT password_hash FROM users WHERE id = $1`, [
    userId,
  ]);
  return row.password_hash;
}

async function boundSessions(t: TestApp, userId: string) {
  return t.dataSource.query<{ id: string; revoked_at: Date | null; legacy_token_digest: string }[]>(
    `SELECT id, revoked_at, legacy_token_digest FROM sessions WHERE user_id = $1 AND legacy_token_digest IS NOT NULL`,
    [userId],
  );
}

async function refusedStatus(t: TestApp, path: string): Promise<number | undefined> {
  try {
    const socket = await TestSocket.open(wsUrl(t, path));
    await socket.close();
    return 101;
  } catch (error) {
    if (error instanceof RefusedHandshake) return error.status;
    throw error;
  }
}

describe('accounts imported from the old server: bcrypt passwords', () => {
  const t = useTestApp({ LOGIN_MAX_FAILURES: '2' });
  const login = (email: string, password: string) => t.http.post('/auth/login').send({ email, password });
  let cost10: string;
  beforeAll(async () => {
    cost10 = await bcrypt.hash(PASSWORD, 10); // Go's bcrypt.DefaultCost
  });

  it('should sign in with the old password, store argon2id instead and sign in again', async () => {
    const ana = await importedUser(t, { bcryptHash: cost10 });
    expect(await storedHash(t, ana.userId)).toMatch(/^\$2b\$10\$/);

    const first = await login(ana.email, PASSWORD).expect(200);
    expect(first.body.user.id).toBe(ana.userId);
    const rehashed = await storedHash(t, ana.userId);
    expect(rehashed).toMatch(/^\$argon2id\$v=19\$m=\d+,p=\d+,t=\d+\$/);

    await login(ana.email, PASSWORD).expect(200);
    expect(await storedHash(t, ana.userId)).toBe(rehashed);
  });

  it('should accept the $2y$ spelling of the same hash', async () => {
    const ana = await importedUser(t, { bcryptHash: `$2y$${cost10.slice(4)}` });
    await login(ana.email, PASSWORD).expect(200);
    expect(await storedHash(t, ana.userId)).toMatch(/^\$argon2id\$/);
  });

  it('should answer a wrong password with the normal 401, count it, and keep the bcrypt hash', async () => {
    const ana = await importedUser(t, { bcryptHash: cost10 });
    const res = await login(ana.email, 'wrong horse battery').expect(401);
    expectErrorBody(res.body, 401);
    expect(res.body.message).toBe('The email or password is incorrect.');
    expect(await storedHash(t, ana.userId)).toBe(cost10);
    // Counted like any failure: the second (LOGIN_MAX_FAILURES=2) locks the account, right password included.
    await login(ana.email, 'wrong horse battery').expect(401);
    const locked = await login(ana.email, PASSWORD).expect(429);
    expectErrorBody(locked.body, 429);
    expect(await storedHash(t, ana.userId)).toBe(cost10);
  });

  it('should answer 401, never 500, to a stored hash in no known scheme', async () => {
    for (const garbage of ['garbage', '$2b$10$short', '$1$md5$whatever', '']) {
      const ana = await importedUser(t, { bcryptHash: garbage });
      const res = await login(ana.email, PASSWORD).expect(401);
      expectErrorBody(res.body, 401);
      expect(await storedHash(t, ana.userId)).toBe(garbage);
    }
  });

  it('should let two sign-ins at once both succeed, leaving one argon2id hash', async () => {
    const ana = await importedUser(t, { bcryptHash: cost10 });
    const [a, b] = await Promise.all([login(ana.email, PASSWORD), login(ana.email, PASSWORD)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(await storedHash(t, ana.userId)).toMatch(/^\$argon2id\$/);
  });
});

describe('old-server tokens with LEGACY_JWT_SECRET', () => {
  const smtp = new TestSmtpServer();
  const t = useTestApp(async () => ({
    LEGACY_JWT_SECRET: OLD_SECRET,
    SMTP_URL: await smtp.start(),
    WS_HEARTBEAT_MS: '200',
    SESSION_CACHE_MS: '0',
  }));
  afterAll(() => smtp.stop());
  afterEach(() => t.app.get(PasswordResetService).beforeApplicationShutdown());
  afterEach(() => jest.restoreAllMocks());
  const me = (token: string) => t.http.get('/auth/me').set(bearer(token));

  it('should accept an old token on GET /auth/me and bind it to one session row', async () => {
    const ana = await importedUser(t);
    const res = await me(ana.old).expect(200);
    expect(res.body).toMatchObject({ id: ana.userId, email: ana.email });
    await me(ana.old).expect(200);
    const bound = await boundSessions(t, ana.userId);
    expect(bound).toHaveLength(1);
    expect(bound[0].revoked_at).toBeNull();
    // A keyed digest, never the token.
    expect(bound[0].legacy_token_digest).not.toContain(ana.old.split('.')[2]);
    // It is a session like any other: listed, and the current one.
    const sessions = await t.http.get('/auth/sessions').set(bearer(ana.old)).expect(200);
    expect(sessions.body).toEqual([expect.objectContaining({ id: bound[0].id, current: true })]);
  });

  it('should open a socket with an old token and close it after logout with that token, which is then 401', async () => {
    const ana = await importedUser(t);
    const socket = await TestSocket.open(wsUrl(t, `/ws/lists/${ana.listId}?token=${ana.old}`));
    await socket.sync();
    await t.http.post('/auth/logout').set(bearer(ana.old)).send({}).expect(204);
    await expect(socket.waitForClose(1500)).resolves.toBe(4401);
    const res = await me(ana.old).expect(401);
    expectErrorBody(res.body, 401);
    expect(await refusedStatus(t, `/ws/lists/${ana.listId}?token=${ana.old}`)).toBe(401);
    // The revoked session keeps its digest: the token cannot bind a fresh one.
    const bound = await boundSessions(t, ana.userId);
    expect(bound).toHaveLength(1);
    expect(bound[0].revoked_at).not.toBeNull();
  });

  it('should end bound and unused old tokens with sign out everywhere', async () => {
    const ana = await importedUser(t);
    const unused = oldToken({ userId: ana.userId, iat: nowS() - 2 * DAY_S, exp: nowS() + 28 * DAY_S });
    await me(ana.old).expect(200);
    await t.http.post('/auth/logout').set(bearer(ana.old)).send({ everywhere: true }).expect(204);
    await me(ana.old).expect(401);
    await me(unused).expect(401);
    const [user] = await t.dataSource.query<{ legacy_tokens_before: Date | null }[]>(
      `SELECT legacy_tokens_before FROM users WHERE id = $1`,
      [ana.userId],
    );
    expect(user.legacy_tokens_before).toBeNull();
    expect(await boundSessions(t, ana.userId)).toHaveLength(1);
  });

  it('should end bound and unused old tokens with a password reset', async () => {
    const ana = await importedUser(t);
    const unused = oldToken({ userId: ana.userId, iat: nowS() - 2 * DAY_S, exp: nowS() + 28 * DAY_S });
    await me(ana.old).expect(200);
    const before = smtp.countTo(ana.email);
    await t.http.post('/auth/password-reset/request').send({ email: ana.email }).expect(202);
    const code = resetCodeIn(await smtp.waitFor(ana.email, before));
    await t.http
      .post('/auth/password-reset/confirm')
      .send({ email: ana.email, code, newPassword: 'a brand new passphrase' })
      .expect(204);
    await me(ana.old).expect(401);
    await me(unused).expect(401);
  });

  it('should refuse an expired old token', async () => {
    const ana = await importedUser(t);
    const expired = oldToken({ userId: ana.userId, iat: nowS() - 31 * DAY_S, exp: nowS() - DAY_S });
    await me(expired).expect(401);
    // And a bound one once its exp passes (the server's clock moves, not the test's).
    await me(ana.old).expect(200);
    setNow(t, new Date(Date.now() + 30 * DAY_S * 1000));
    await me(ana.old).expect(401);
  });

  it('should refuse an old token issued after the import', async () => {
    const ana = await importedUser(t, { importedAt: new Date(Date.now() - 2 * DAY_S * 1000) });
    await me(ana.old).expect(401);
    expect(await boundSessions(t, ana.userId)).toHaveLength(0);
  });

  it('should refuse an old token of a user the import did not mark (or who was never imported)', async () => {
    const ana = await importedUser(t, { importedAt: null });
    await me(ana.old).expect(401);
    const stranger = oldToken({
      userId: '00000000-0000-4000-8000-000000000000',
      iat: nowS() - DAY_S,
      exp: nowS() + DAY_S,
    });
    await me(stranger).expect(401);
    expect(await boundSessions(t, ana.userId)).toHaveLength(0);
  });

  it('should refuse a wrong secret, alg none, HS512 and a token with extra sid', async () => {
    const ana = await importedUser(t);
    const claims = { userId: ana.userId, iat: nowS() - DAY_S, exp: nowS() + DAY_S };
    await me(oldToken(claims, 'not-the-old-secret-not-the-old-secret')).expect(401);
    await me(oldToken(claims, undefined, { alg: 'none', typ: 'JWT' })).expect(401);
    const hs512 = (() => {
      const part = (v: Json) => Buffer.from(JSON.stringify(v)).toString('base64url');
      const input = `${part({ alg: 'HS512', typ: 'JWT' })}.${part(claims)}`;
      return `${input}.${createHmac('sha512', OLD_SECRET).update(input).digest('base64url')}`;
    })();
    await me(hs512).expect(401);
    await me(oldToken({ ...claims, sid: '00000000-0000-4000-8000-000000000000' })).expect(401);
    expect(await refusedStatus(t, `/ws/lists/${ana.listId}?token=${oldToken(claims, 'wrong-wrong-wrong')}`)).toBe(401);
    expect(await boundSessions(t, ana.userId)).toHaveLength(0);
  });

  it('should bind two concurrent first uses of one old token to one session row', async () => {
    const ana = await importedUser(t);
    const answers = await Promise.all(Array.from({ length: 6 }, () => me(ana.old)));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(await boundSessions(t, ana.userId)).toHaveLength(1);
  });

  it('should issue a socket ticket to an old token, for its bound session', async () => {
    const ana = await importedUser(t);
    const res = await t.http.post('/ws/ticket').set(bearer(ana.old)).send({ listId: ana.listId }).expect(201);
    const socket = await TestSocket.open(wsUrl(t, `/ws/lists/${ana.listId}?ticket=${res.body.ticket as string}`));
    await socket.sync();
    await t.http.post('/auth/logout').set(bearer(ana.old)).send({}).expect(204);
    await expect(socket.waitForClose(1500)).resolves.toBe(4401);
  });

  it('should map an old non-UUID user id through legacy_ids', async () => {
    const ana = await importedUser(t);
    await t.dataSource.query(`INSERT INTO legacy_ids (kind, legacy_id, id) VALUES ('user', 'old-user-7', $1)`, [
      ana.userId,
    ]);
    const token = oldToken({ userId: 'old-user-7', iat: nowS() - DAY_S, exp: nowS() + DAY_S });
    const res = await me(token).expect(200);
    expect(res.body.id).toBe(ana.userId);
    await me(oldToken({ userId: 'old-user-8', iat: nowS() - DAY_S, exp: nowS() + DAY_S })).expect(401);
  });

  it('should keep our own tokens working alongside', async () => {
    const bo = await registerUser(t);
    await me(bo.token).expect(200);
  });
});

describe('old-server tokens without LEGACY_JWT_SECRET', () => {
  const t = useTestApp();

  it('should answer an old token with the normal 401 on REST and the socket', async () => {
    const ana = await importedUser(t);
    const res = await t.http.get('/auth/me').set(bearer(ana.old)).expect(401);
    expectErrorBody(res.body, 401);
    expect(res.body.message).toBe('Authentication required: send a valid bearer token.');
    expect(await refusedStatus(t, `/ws/lists/${ana.listId}?token=${ana.old}`)).toBe(401);
    expect(await boundSessions(t, ana.userId)).toHaveLength(0);
  });
});

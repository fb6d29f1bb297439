import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { TestApp, useTestApp } from './support/app';
import { setNow } from './support/clock';
import { eventually } from './support/eventually';
import { expectInvalidExactly, ISO, UUID } from './support/expect';
import { expectErrorBody, registerUser } from './support/factories';

const THIRTY_DAYS_S = 30 * 24 * 3600;
const AUTH_RESPONSE_KEYS = ['expiresAt', 'listIds', 'refreshToken', 'token', 'user'];
const USER_KEYS = ['email', 'id', 'listIds', 'name'];
const SESSION_KEYS = ['createdAt', 'current', 'expiresAt', 'id', 'ip', 'lastUsedAt', 'userAgent'];

type Json = Record<string, unknown>;

function decodeJwt(token: string): { header: Json; payload: Json } {
  const [header, payload] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Json,
    payload: JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Json,
  };
}

/** Builds a JWT by hand; `secret` undefined gives the empty signature of `alg: none`. */
function signJwt(header: Json, payload: Json, secret?: string, hash: 'sha256' | 'sha512' = 'sha256'): string {
  const part = (value: Json) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${part(header)}.${part(payload)}`;
  const signature = secret === undefined ? '' : createHmac(hash, secret).update(input).digest('base64url');
  return `${input}.${signature}`;
}

function bearer(token: string): { Authorization: string } {
  return { Authorization: `Bearer ${token}` };
}

/** No key that names a password or hash, no argon2 string, not the password itself, at any depth. */
function expectNoSecrets(body: unknown, password?: string): void {
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      expect(value.startsWith('$argon2')).toBe(false);
      if (password) expect(value).not.toBe(password);
    } else if (Array.isArray(value)) {
      value.forEach(visit);
    } else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        expect(key).not.toMatch(/password|hash|secret/i);
        visit(inner);
      }
    }
  };
  visit(body);
}

function expectAuthResponse(body: Json, expected: { email: string; name: string }): void {
  expect(Object.keys(body).sort()).toEqual(AUTH_RESPONSE_KEYS);
  const user = body.user as Json;
  expect(Object.keys(user).sort()).toEqual(USER_KEYS);
  expect(user).toMatchObject({ id: expect.stringMatching(UUID), email: expected.email, name: expected.name });
  expect(user.listIds).toEqual(body.listIds);
  expect(typeof body.token).toBe('string');
  expect(body.token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  expect(typeof body.refreshToken).toBe('string');
  // >= 128 bits of entropy: at least 22 base64url characters.
  expect((body.refreshToken as string).length).toBeGreaterThanOrEqual(22);
  expect(body.expiresAt).toMatch(ISO);
}

/*
 * Two apps, one after the other (never both open: @nestjs/passport registers the 'jwt'
 * strategy in the process-wide passport instance, so the last app booted would verify
 * every app's tokens). The first has no session-liveness cache, so what a test sees is
 * what the database says; the second keeps the default 2 s cache.
 */
let t: TestApp;
let cached: TestApp;

const me = (token: string, app: TestApp = t) => app.http.get('/auth/me').set(bearer(token));
const login = (email: string, password: string, app: TestApp = t) =>
  app.http.post('/auth/login').send({ email, password });

describe('auth (session cache off)', () => {
  t = useTestApp({ SESSION_CACHE_MS: '0' });

  describe('POST /auth/register', () => {
    it('should answer 201 with an AuthResponse and no password or hash', async () => {
      const email = `ana-${randomUUID()}@example.com`;
      const res = await t.http.post('/auth/register').send({ email, password: 'correct horse battery', name: 'Ana' });
      expect(res.status).toBe(201);
      expectAuthResponse(res.body, { email, name: 'Ana' });
      expect(res.body.listIds).toHaveLength(1);
      expectNoSecrets(res.body, 'correct horse battery');
    });

    it('should create the first list named "<name>\'s List", owned by the user, and return its id', async () => {
      const u = await registerUser(t, { name: 'Bea' });
      expect(u.listId).toMatch(UUID);
      const list = await t.http.get(`/lists/${u.listId}`).set(u.auth).expect(200);
      expect(list.body).toMatchObject({ id: u.listId, name: "Bea's List", items: [] });
      expect(list.body.members).toEqual([
        expect.objectContaining({ id: u.userId, name: 'Bea', email: u.email, role: 'owner' }),
      ]);
    });

    it('should trim the name before using it', async () => {
      const res = await t.http
        .post('/auth/register')
        .send({ email: `c-${randomUUID()}@example.com`, password: 'correct horse battery', name: '  Cleo  ' })
        .expect(201);
      expect(res.body.user.name).toBe('Cleo');
      const list = await t.http.get(`/lists/${res.body.listIds[0]}`).set(bearer(res.body.token)).expect(200);
      expect(list.body.name).toBe("Cleo's List");
    });

    it('should store the email trimmed and lower-cased', async () => {
      const local = `Mixed.Case-${randomUUID()}`;
      const res = await t.http
        .post('/auth/register')
        .send({ email: `  ${local}@Example.COM  `, password: 'correct horse battery', name: 'Dee' })
        .expect(201);
      const normalised = `${local.toLowerCase()}@example.com`;
      expect(res.body.user.email).toBe(normalised);
      const rows: { email: string }[] = await t.dataSource.query('SELECT email FROM users WHERE id = $1', [
        res.body.user.id,
      ]);
      expect(rows).toEqual([{ email: normalised }]);
      await login(normalised, 'correct horse battery').expect(200);
    });

    it('should answer 409 for an email already registered, whatever its case, and create nothing', async () => {
      const u = await registerUser(t);
      const res = await t.http
        .post('/auth/register')
        .send({ email: ` ${u.email.toUpperCase()} `, password: 'another password', name: 'Eve' });
      expect(res.status).toBe(409);
      expectErrorBody(res.body, 409);
      const [{ users }] = await t.dataSource.query('SELECT count(*)::int AS users FROM users');
      const [{ lists }] = await t.dataSource.query('SELECT count(*)::int AS lists FROM lists');
      expect({ users, lists }).toEqual({ users: 1, lists: 1 });
      // The first account keeps its password.
      await login(u.email, u.password).expect(200);
    });

    it('should accept passwords of exactly 8 and exactly 128 characters', async () => {
      for (const password of ['x'.repeat(8), 'y'.repeat(128)]) {
        const email = `p-${randomUUID()}@example.com`;
        await t.http.post('/auth/register').send({ email, password, name: 'Fay' }).expect(201);
        await login(email, password).expect(200);
      }
    });

    const valid = () => ({ email: `v-${randomUUID()}@example.com`, password: 'correct horse battery', name: 'Gus' });
    it.each<[string, Json, string]>([
      ['a missing email', { email: undefined }, 'email'],
      ['an email that is not an address', { email: 'not-an-email' }, 'email'],
      ['an email that is not a string', { email: 42 }, 'email'],
      [
        'an email longer than 254 characters',
        { email: `${'a'.repeat(60)}@${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(80)}.com` },
        'email',
      ],
      ['a missing password', { password: undefined }, 'password'],
      ['a password of 7 characters', { password: 'x'.repeat(7) }, 'password'],
      ['a password of 129 characters', { password: 'x'.repeat(129) }, 'password'],
      ['a password that is not a string', { password: 12345678 }, 'password'],
      ['a missing name', { name: undefined }, 'name'],
      ['a blank name', { name: '   ' }, 'name'],
      ['a name longer than 100 characters', { name: 'n'.repeat(101) }, 'name'],
      ['a name that is not a string', { name: ['Ana'] }, 'name'],
      ['an unknown property', { role: 'admin' }, 'role'],
    ])('should answer 400 naming the field for %s', async (_case, change, field) => {
      const res = await t.http.post('/auth/register').send({ ...valid(), ...change });
      expectInvalidExactly(res, [field], { namedInMessage: true });
      const [{ users }] = await t.dataSource.query('SELECT count(*)::int AS users FROM users');
      expect(users).toBe(0);
    });
  });

  describe('POST /auth/login', () => {
    it('should answer 200 with an AuthResponse listing every list of the user', async () => {
      const u = await registerUser(t, { name: 'Hal' });
      const second = await t.http.post('/lists').set(u.auth).send({ name: 'Weekend' }).expect(201);
      const res = await login(u.email, u.password);
      expect(res.status).toBe(200);
      expectAuthResponse(res.body, { email: u.email, name: 'Hal' });
      expect(res.body.user.id).toBe(u.userId);
      expect(res.body.listIds).toEqual([u.listId, second.body.id]);
      expect(res.body.token).not.toBe(u.token);
      expectNoSecrets(res.body, u.password);
      await me(res.body.token).expect(200);
    });

    it('should accept the email in any case and with surrounding spaces', async () => {
      const u = await registerUser(t);
      const res = await login(`  ${u.email.toUpperCase()}  `, u.password).expect(200);
      expect(res.body.user.id).toBe(u.userId);
    });

    it('should create a new session for every login', async () => {
      const u = await registerUser(t);
      await login(u.email, u.password).expect(200);
      await login(u.email, u.password).expect(200);
      const sessions = await t.http.get('/auth/sessions').set(u.auth).expect(200);
      expect(sessions.body).toHaveLength(3);
    });

    it('should answer the same 401 for a wrong password and for an unknown email', async () => {
      const u = await registerUser(t);
      const wrong = await login(u.email, 'not the password');
      const unknown = await login(`nobody-${randomUUID()}@example.com`, u.password);
      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(401);
      expectErrorBody(wrong.body, 401);
      expectErrorBody(unknown.body, 401);
      const { requestId: _a, ...wrongBody } = wrong.body as Json;
      const { requestId: _b, ...unknownBody } = unknown.body as Json;
      expect(wrongBody).toEqual(unknownBody);
      expect(wrong.body).not.toHaveProperty('token');
    });

    it.each<[string, Json, string]>([
      ['a missing email', { email: undefined }, 'email'],
      ['an email that is not an address', { email: 'ana.example.com' }, 'email'],
      ['a missing password', { password: undefined }, 'password'],
      ['a password longer than 128 characters', { password: 'x'.repeat(129) }, 'password'],
      ['a password that is not a string', { password: true }, 'password'],
      ['an unknown property', { remember: true }, 'remember'],
    ])('should answer 400 naming the field for %s', async (_case, change, field) => {
      const u = await registerUser(t);
      const res = await t.http.post('/auth/login').send({ email: u.email, password: u.password, ...change });
      expectInvalidExactly(res, [field], { namedInMessage: true });
    });
  });

  describe('access tokens', () => {
    it('should be HS256 JWTs carrying sub (the user) and sid (the session), valid for 30 days', async () => {
      const u = await registerUser(t);
      const { header, payload } = decodeJwt(u.token);
      expect(header.alg).toBe('HS256');
      expect(payload.sub).toBe(u.userId);
      expect(payload.sid).toEqual(expect.stringMatching(UUID));
      expect(Number(payload.exp) - Number(payload.iat)).toBe(THIRTY_DAYS_S);
      const sessions = await t.http.get('/auth/sessions').set(u.auth).expect(200);
      expect(sessions.body).toEqual([expect.objectContaining({ id: payload.sid, current: true })]);
      const res = await login(u.email, u.password).expect(200);
      expect(
        Math.abs(Date.parse(res.body.expiresAt) - Number(decodeJwt(res.body.token).payload.exp) * 1000),
      ).toBeLessThan(5000);
    });

    it('should accept a hand-made HS256 token with the server secret (control for the forgeries below)', async () => {
      const u = await registerUser(t);
      const { payload } = decodeJwt(u.token);
      const forged = signJwt({ alg: 'HS256', typ: 'JWT' }, payload, process.env.JWT_SECRET);
      const res = await me(forged).expect(200);
      expect(res.body.id).toBe(u.userId);
    });

    it.each<[string, (payload: Json) => string]>([
      ['alg none', (payload) => signJwt({ alg: 'none', typ: 'JWT' }, payload)],
      [
        'another secret',
        (payload) => signJwt({ alg: 'HS256', typ: 'JWT' }, payload, 'another-secret-that-is-long-enough-0123456789'),
      ],
      [
        'HS512 with the server secret',
        (payload) => signJwt({ alg: 'HS512', typ: 'JWT' }, payload, process.env.JWT_SECRET, 'sha512'),
      ],
    ])('should answer 401 to a token signed with %s, its claims those of a token seen live', async (_case, forge) => {
      const u = await registerUser(t);
      await me(u.token).expect(200); // verified once, and remembered
      const res = await me(forge(decodeJwt(u.token).payload));
      expect(res.status).toBe(401);
      expectErrorBody(res.body, 401);
    });

    it('should answer 401 to a token seen live with one character of its signature changed', async () => {
      const u = await registerUser(t);
      await me(u.token).expect(200);
      const [header, payload, signature] = u.token.split('.');
      const flipped = `${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`;
      const res = await me([header, payload, flipped].join('.'));
      expect(res.status).toBe(401);
      expect(res.body.message).toBe('Authentication required: send a valid bearer token.');
      await me(u.token).expect(200);
    });

    it('should answer 401 to an expired token', async () => {
      const u = await registerUser(t);
      const { payload } = decodeJwt(u.token);
      const now = Math.floor(Date.now() / 1000);
      const expired = signJwt(
        { alg: 'HS256', typ: 'JWT' },
        { ...payload, iat: now - 120, exp: now - 60 },
        process.env.JWT_SECRET,
      );
      const res = await me(expired);
      expect(res.status).toBe(401);
      expectErrorBody(res.body, 401);
    });

    it("should answer 401 to a validly signed token whose sid is another user's session", async () => {
      const a = await registerUser(t);
      const b = await registerUser(t);
      const mixed = { ...decodeJwt(a.token).payload, sid: decodeJwt(b.token).payload.sid };
      const res = await me(signJwt({ alg: 'HS256', typ: 'JWT' }, mixed, process.env.JWT_SECRET));
      expect(res.status).toBe(401);
      expectErrorBody(res.body, 401);
    });

    it('should answer 401 once the session behind the token has expired', async () => {
      const u = await registerUser(t);
      await me(u.token).expect(200);
      await t.dataSource.query(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [
        u.userId,
      ]);
      const res = await me(u.token);
      expect(res.status).toBe(401);
      expectErrorBody(res.body, 401);
    });

    it.each([
      ['a garbage bearer token', 'Bearer not.a.jwt'],
      ['a token without the Bearer scheme', 'TOKEN'],
      ['an empty bearer', 'Bearer '],
    ])('should answer 401 to %s', async (_case, header) => {
      const u = await registerUser(t);
      const res = await t.http.get('/auth/me').set('Authorization', header === 'TOKEN' ? u.token : header);
      expect(res.status).toBe(401);
      expectErrorBody(res.body, 401);
    });
  });

  describe('protected routes', () => {
    it.each<[string, string, Json | undefined]>([
      ['GET', '/auth/me', undefined],
      ['POST', '/auth/logout', {}],
      ['GET', '/auth/sessions', undefined],
      ['DELETE', `/auth/sessions/${randomUUID()}`, undefined],
    ])('should require authentication for %s %s', async (method, path, body) => {
      const u = await registerUser(t);
      const send = (headers: Record<string, string>) => {
        const req = t.http[method.toLowerCase() as 'get' | 'post' | 'delete'](path).set(headers);
        return body === undefined ? req : req.send(body);
      };
      const res = await send({});
      expect(res.status).toBe(401);
      expectErrorBody(res.body, 401);
      // Nothing happened: the user's session is still live.
      await me(u.token).expect(200);
    });
  });

  describe('GET /auth/me', () => {
    it('should answer the User with its current listIds and nothing else', async () => {
      const u = await registerUser(t, { name: 'Ivy' });
      const second = await t.http.post('/lists').set(u.auth).send({ name: 'Party' }).expect(201);
      const res = await me(u.token).expect(200);
      expect(Object.keys(res.body).sort()).toEqual(USER_KEYS);
      expect(res.body).toEqual({ id: u.userId, email: u.email, name: 'Ivy', listIds: [u.listId, second.body.id] });
      expectNoSecrets(res.body, u.password);
    });

    it("should answer the caller's own user, not another's", async () => {
      const a = await registerUser(t, { name: 'Jon' });
      const b = await registerUser(t, { name: 'Kim' });
      const resA = await me(a.token).expect(200);
      const resB = await me(b.token).expect(200);
      expect(resA.body).toMatchObject({ id: a.userId, name: 'Jon', listIds: [a.listId] });
      expect(resB.body).toMatchObject({ id: b.userId, name: 'Kim', listIds: [b.listId] });
    });
  });

  describe('POST /auth/logout', () => {
    it("should end the caller's session at once and leave the user's other sessions alive", async () => {
      const u = await registerUser(t);
      const other = await login(u.email, u.password).expect(200);
      const res = await t.http.post('/auth/logout').set(u.auth).send({});
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      const after = await me(u.token);
      expect(after.status).toBe(401);
      expectErrorBody(after.body, 401);
      await me(other.body.token).expect(200);
      // The logged-out session's refresh token is dead too.
      await t.http.post('/auth/refresh').send({ refreshToken: u.refreshToken }).expect(401);
    });

    it('should accept an empty body', async () => {
      const u = await registerUser(t);
      await t.http.post('/auth/logout').set(u.auth).expect(204);
      await me(u.token).expect(401);
    });

    it("should end every session of the user with everywhere: true, and no one else's", async () => {
      const u = await registerUser(t);
      const other = await login(u.email, u.password).expect(200);
      const stranger = await registerUser(t);
      await t.http.post('/auth/logout').set(u.auth).send({ everywhere: true }).expect(204);
      await me(u.token).expect(401);
      await me(other.body.token).expect(401);
      await t.http.post('/auth/refresh').send({ refreshToken: other.body.refreshToken }).expect(401);
      await me(stranger.token).expect(200);
    });

    it('should end only the current session with everywhere: false', async () => {
      const u = await registerUser(t);
      const other = await login(u.email, u.password).expect(200);
      await t.http.post('/auth/logout').set(u.auth).send({ everywhere: false }).expect(204);
      await me(u.token).expect(401);
      await me(other.body.token).expect(200);
    });

    it.each<[string, Json, string]>([
      ['everywhere that is not a boolean', { everywhere: 'yes' }, 'everywhere'],
      ['an unknown property', { all: true }, 'all'],
    ])('should answer 400 naming the field for %s and keep the session', async (_case, body, field) => {
      const u = await registerUser(t);
      const res = await t.http.post('/auth/logout').set(u.auth).send(body);
      expectInvalidExactly(res, [field], { namedInMessage: true });
      await me(u.token).expect(200);
    });
  });

  describe('GET /auth/sessions', () => {
    it("should list the user's live sessions newest first, marking only the caller's as current", async () => {
      const u = await registerUser(t);
      const phone = await t.http
        .post('/auth/login')
        .set('User-Agent', 'CartSync-Test/1.0 (phone)')
        .send({ email: u.email, password: u.password })
        .expect(200);
      const revoked = await login(u.email, u.password).expect(200);
      await t.http.post('/auth/logout').set(bearer(revoked.body.token)).expect(204);
      await registerUser(t); // someone else's session must not show

      const res = await t.http.get('/auth/sessions').set(bearer(phone.body.token)).expect(200);
      const sessions = res.body as Json[];
      expect(sessions).toHaveLength(2);
      for (const session of sessions) {
        expect(Object.keys(session).sort()).toEqual(SESSION_KEYS);
        expect(session.id).toMatch(UUID);
        expect(session.createdAt).toMatch(ISO);
        expect(session.lastUsedAt).toMatch(ISO);
        expect(session.expiresAt).toMatch(ISO);
      }
      const phoneSid = decodeJwt(phone.body.token).payload.sid;
      const firstSid = decodeJwt(u.token).payload.sid;
      expect(sessions.map((s) => s.id)).toEqual([phoneSid, firstSid]);
      expect(sessions.map((s) => s.current)).toEqual([true, false]);
      expect(sessions[0]).toMatchObject({
        userAgent: 'CartSync-Test/1.0 (phone)',
        ip: expect.stringContaining('127.0.0.1'),
      });
      expectNoSecrets(res.body);

      // Asked from the other session, the other one is current.
      const fromFirst = await t.http.get('/auth/sessions').set(u.auth).expect(200);
      expect((fromFirst.body as Json[]).map((s) => [s.id, s.current])).toEqual([
        [phoneSid, false],
        [firstSid, true],
      ]);
    });
  });

  describe('DELETE /auth/sessions/:id', () => {
    it("should end that session: its token gets 401, the caller's stays valid", async () => {
      const u = await registerUser(t);
      const other = await login(u.email, u.password).expect(200);
      const sid = decodeJwt(other.body.token).payload.sid as string;
      const res = await t.http.delete(`/auth/sessions/${sid}`).set(u.auth);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      const after = await me(other.body.token);
      expect(after.status).toBe(401);
      expectErrorBody(after.body, 401);
      await me(u.token).expect(200);
      const sessions = await t.http.get('/auth/sessions').set(u.auth).expect(200);
      expect((sessions.body as Json[]).map((s) => s.id)).toEqual([decodeJwt(u.token).payload.sid]);
      await t.http.post('/auth/refresh').send({ refreshToken: other.body.refreshToken }).expect(401);
    });

    it('should let a user end their own current session', async () => {
      const u = await registerUser(t);
      await t.http
        .delete(`/auth/sessions/${decodeJwt(u.token).payload.sid as string}`)
        .set(u.auth)
        .expect(204);
      await me(u.token).expect(401);
    });

    it("should answer 404 for an unknown id and for another user's session, which stays alive", async () => {
      const u = await registerUser(t);
      const stranger = await registerUser(t);
      const unknown = await t.http.delete(`/auth/sessions/${randomUUID()}`).set(u.auth);
      expect(unknown.status).toBe(404);
      expectErrorBody(unknown.body, 404);
      const foreign = await t.http
        .delete(`/auth/sessions/${decodeJwt(stranger.token).payload.sid as string}`)
        .set(u.auth);
      expect(foreign.status).toBe(404);
      expectErrorBody(foreign.body, 404);
      const { requestId: _a, ...unknownBody } = unknown.body as Json;
      const { requestId: _b, ...foreignBody } = foreign.body as Json;
      expect(foreignBody).toEqual(unknownBody);
      await me(stranger.token).expect(200);
    });

    it('should answer 404 for a session that is already ended', async () => {
      const u = await registerUser(t);
      const other = await login(u.email, u.password).expect(200);
      const sid = decodeJwt(other.body.token).payload.sid as string;
      await t.http.delete(`/auth/sessions/${sid}`).set(u.auth).expect(204);
      const again = await t.http.delete(`/auth/sessions/${sid}`).set(u.auth);
      expect(again.status).toBe(404);
      expectErrorBody(again.body, 404);
    });

    it('should answer 400 naming id when it is not a UUID', async () => {
      const u = await registerUser(t);
      const res = await t.http.delete('/auth/sessions/not-a-uuid').set(u.auth);
      expectInvalidExactly(res, ['id'], { namedInMessage: true });
    });
  });

  describe('POST /auth/refresh', () => {
    it('should answer a new token pair for the same session, and the new refresh token works once more', async () => {
      const u = await registerUser(t, { name: 'Lea' });
      const res = await t.http.post('/auth/refresh').send({ refreshToken: u.refreshToken });
      expect(res.status).toBe(200);
      expectAuthResponse(res.body, { email: u.email, name: 'Lea' });
      expect(res.body.listIds).toEqual([u.listId]);
      expect(res.body.refreshToken).not.toBe(u.refreshToken);
      expect(decodeJwt(res.body.token).payload).toMatchObject({ sub: u.userId, sid: decodeJwt(u.token).payload.sid });
      expectNoSecrets(res.body, u.password);
      await me(res.body.token).expect(200);

      const next = await t.http.post('/auth/refresh').send({ refreshToken: res.body.refreshToken }).expect(200);
      expect(next.body.refreshToken).not.toBe(res.body.refreshToken);
      await me(next.body.token).expect(200);
      const sessions = await t.http.get('/auth/sessions').set(bearer(next.body.token)).expect(200);
      expect(sessions.body).toHaveLength(1);
    });

    it('should store refresh tokens only hashed', async () => {
      const u = await registerUser(t);
      const rows: { token_hash: string }[] = await t.dataSource.query('SELECT token_hash FROM refresh_tokens');
      expect(rows).toHaveLength(1);
      expect(rows[0].token_hash).not.toContain(u.refreshToken);
    });

    it('should answer 401 to a reused refresh token and end the whole session', async () => {
      const u = await registerUser(t);
      const other = await login(u.email, u.password).expect(200);
      const rotated = await t.http.post('/auth/refresh').send({ refreshToken: u.refreshToken }).expect(200);
      await me(rotated.body.token).expect(200);

      const reuse = await t.http.post('/auth/refresh').send({ refreshToken: u.refreshToken });
      expect(reuse.status).toBe(401);
      expectErrorBody(reuse.body, 401);
      expect(reuse.body).not.toHaveProperty('token');

      await me(u.token).expect(401);
      await me(rotated.body.token).expect(401);
      await t.http.post('/auth/refresh').send({ refreshToken: rotated.body.refreshToken }).expect(401);
      // Only that session ends.
      await me(other.body.token).expect(200);
    });

    it('should answer 401 to an unknown refresh token', async () => {
      await registerUser(t);
      const res = await t.http.post('/auth/refresh').send({ refreshToken: randomBytes(32).toString('base64url') });
      expect(res.status).toBe(401);
      expectErrorBody(res.body, 401);
    });

    it('should answer 401 to a refresh token whose session has expired', async () => {
      const u = await registerUser(t);
      await t.dataSource.query(`UPDATE sessions SET expires_at = now() - interval '1 second'`);
      await t.http.post('/auth/refresh').send({ refreshToken: u.refreshToken }).expect(401);
    });

    it.each<[string, Json, string]>([
      ['a missing refreshToken', {}, 'refreshToken'],
      ['a refreshToken that is too short', { refreshToken: 'abc' }, 'refreshToken'],
      ['a refreshToken that is not a string', { refreshToken: 1234567890123456 }, 'refreshToken'],
      ['an unknown property', { refreshToken: 'x'.repeat(43), token: 'abc' }, 'token'],
    ])('should answer 400 naming the field for %s', async (_case, body, field) => {
      const res = await t.http.post('/auth/refresh').send(body);
      expectInvalidExactly(res, [field], { namedInMessage: true });
    });
  });
});

describe('auth (default session cache, 2 s)', () => {
  cached = useTestApp();

  describe('revocation on the same instance', () => {
    it('should reject the token at once after logout, even right after it was seen live', async () => {
      const u = await registerUser(cached);
      await me(u.token, cached).expect(200);
      await cached.http.post('/auth/logout').set(u.auth).expect(204);
      await me(u.token, cached).expect(401);
    });

    it('should reject the token at once after its session is deleted', async () => {
      const u = await registerUser(cached);
      const other = await login(u.email, u.password, cached).expect(200);
      await me(other.body.token, cached).expect(200);
      await cached.http
        .delete(`/auth/sessions/${decodeJwt(other.body.token).payload.sid as string}`)
        .set(u.auth)
        .expect(204);
      await me(other.body.token, cached).expect(401);
    });

    it('should reject the token at once after its session is deleted by its id in upper case', async () => {
      // Time stands still, so the live answer cached by the first call could be reused for the whole test.
      const frozen = setNow(cached, new Date());
      try {
        const u = await registerUser(cached);
        const other = await login(u.email, u.password, cached).expect(200);
        await me(other.body.token, cached).expect(200);
        const sid = decodeJwt(other.body.token).payload.sid as string;
        await cached.http.delete(`/auth/sessions/${sid.toUpperCase()}`).set(u.auth).expect(204);
        await me(other.body.token, cached).expect(401);
      } finally {
        frozen.mockRestore();
      }
    });

    it('should reject every token at once after logout everywhere', async () => {
      const u = await registerUser(cached);
      const other = await login(u.email, u.password, cached).expect(200);
      await me(other.body.token, cached).expect(200);
      await cached.http.post('/auth/logout').set(u.auth).send({ everywhere: true }).expect(204);
      await me(other.body.token, cached).expect(401);
    });

    it('should reject the access token at once after its refresh token was reused', async () => {
      const u = await registerUser(cached);
      const rotated = await cached.http.post('/auth/refresh').send({ refreshToken: u.refreshToken }).expect(200);
      await me(rotated.body.token, cached).expect(200);
      await cached.http.post('/auth/refresh').send({ refreshToken: u.refreshToken }).expect(401);
      await me(rotated.body.token, cached).expect(401);
    });
  });

  describe('revocation by another instance', () => {
    it('should reject the token within 5 seconds of its session being revoked in the database', async () => {
      const u = await registerUser(cached);
      await me(u.token, cached).expect(200);
      const start = Date.now();
      // What another instance's logout does: this instance's cache is not told.
      await cached.dataSource.query('UPDATE sessions SET revoked_at = now() WHERE user_id = $1', [u.userId]);
      await eventually(async () => expect((await me(u.token, cached)).status).toBe(401), {
        timeoutMs: 6000,
        intervalMs: 100,
      });
      expect(Date.now() - start).toBeLessThan(5000);
    });
  });
});

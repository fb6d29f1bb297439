import { useTestApp } from './support/app';
import { withoutTable } from './support/database';
import { UUID } from './support/expect';
import { expectErrorBody, registerUser } from './support/factories';

const ONE_MB = 1024 * 1024;

describe('HTTP cross-cutting behaviour', () => {
  const t = useTestApp();

  describe('caching', () => {
    it('should answer API reads without an ETag: no body is hashed for a header no client revalidates with', async () => {
      const u = await registerUser(t);
      for (const path of [`/lists/${u.listId}`, '/lists', '/auth/me']) {
        const res = await t.http.get(path).set(u.auth).expect(200);
        expect(res.headers).not.toHaveProperty('etag');
      }
    });
  });

  describe('the list, sent as JSON text', () => {
    it('should carry the JSON content type with its charset and the exact byte length, for GET and HEAD', async () => {
      const u = await registerUser(t);
      await t.http.patch(`/lists/${u.listId}`).set(u.auth).send({ name: 'Épicerie ✓' }).expect(200);
      const res = await t.http.get(`/lists/${u.listId}`).set(u.auth).expect(200);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.text));
      expect(res.body.name).toBe('Épicerie ✓');
      const head = await t.http.head(`/lists/${u.listId}`).set(u.auth).expect(200);
      expect(head.headers['content-length']).toBe(res.headers['content-length']);
      expect(head.text).toBeUndefined();
    });

    it('should still answer a missing list with the error body', async () => {
      const u = await registerUser(t);
      const res = await t.http.get('/lists/6f1c2b1e-8a4b-4c3d-9e2f-0a1b2c3d4e5f').set(u.auth).expect(404);
      expectErrorBody(res.body, 404);
    });
  });

  describe('error body', () => {
    it('should answer a validation failure with the contract shape, a string message and details', async () => {
      const res = await t.http
        .post('/auth/register')
        .send({ email: 'not-an-email', password: 'short', name: 'Ana' })
        .expect(400)
        .expect('content-type', /application\/json/);
      expectErrorBody(res.body, 400);
      expect(res.body.error).toBe('Bad Request');
      expect(typeof res.body.message).toBe('string');
      expect(res.body.requestId).toBe(res.headers['x-request-id']);
      expect(res.body.details).toEqual(
        expect.arrayContaining([
          { field: 'email', problem: expect.any(String) },
          { field: 'password', problem: expect.any(String) },
        ]),
      );
      for (const detail of res.body.details as { field: string; problem: string }[]) {
        expect(Object.keys(detail).sort()).toEqual(['field', 'problem']);
      }
    });

    it('should name the field in the message when a single field is invalid', async () => {
      const u = await registerUser(t);
      const res = await t.http
        .post(`/lists/${u.listId}/items`)
        .set(u.auth)
        .send({ name: 'Milk', quantity: -1 })
        .expect(400);
      expectErrorBody(res.body, 400);
      expect(res.body.message).toMatch(/^quantity /);
      expect(res.body.details).toEqual([{ field: 'quantity', problem: expect.any(String) }]);
    });

    it('should carry the request id in the body of a non-validation error too', async () => {
      const res = await t.http.get('/auth/me').expect(401);
      expectErrorBody(res.body, 401);
      expect(res.body.error).toBe('Unauthorized');
      expect(res.body.requestId).toBe(res.headers['x-request-id']);
      expect(res.body).not.toHaveProperty('details');
    });

    it('should reject an unknown body property with 400 and change nothing', async () => {
      const u = await registerUser(t);
      const res = await t.http.post('/lists').set(u.auth).send({ name: 'Party', color: 'red' }).expect(400);
      expectErrorBody(res.body, 400);
      expect(res.body.details).toEqual([{ field: 'color', problem: 'is not an allowed property' }]);
      const mine = await t.http.get('/lists').set(u.auth).expect(200);
      expect(mine.body).toHaveLength(1);
    });

    it('should reject an unknown property on a public route too', async () => {
      const res = await t.http
        .post('/auth/register')
        .send({ email: 'ana@example.com', password: 'correct horse battery', name: 'Ana', isAdmin: true })
        .expect(400);
      expectErrorBody(res.body, 400);
      expect(res.body.details).toEqual([{ field: 'isAdmin', problem: 'is not an allowed property' }]);
    });

    it('should answer malformed JSON with 400 and the error body', async () => {
      const res = await t.http
        .post('/auth/login')
        .set('Content-Type', 'application/json')
        .send('{"email": "ana@example.com", ')
        .expect(400)
        .expect('content-type', /application\/json/);
      expectErrorBody(res.body, 400);
      expect(res.body.message).toBe('The request body is not valid JSON.');
      expect(res.body.requestId).toBe(res.headers['x-request-id']);
    });

    it('should answer a JSON body over 1 MB with 413 and the error body', async () => {
      const body = JSON.stringify({ email: 'ana@example.com', password: 'x'.repeat(ONE_MB), name: 'Ana' });
      const res = await t.http.post('/auth/register').set('Content-Type', 'application/json').send(body).expect(413);
      expectErrorBody(res.body, 413);
      expect(res.body.error).toBe('Payload Too Large');
      expect(res.body.requestId).toBe(res.headers['x-request-id']);
    });

    it('should still read a JSON body just under 1 MB', async () => {
      // Parsed, then refused by validation (password too long): the limit is not lower than 1 MB.
      const body = JSON.stringify({ email: 'ana@example.com', password: 'x'.repeat(ONE_MB - 200), name: 'Ana' });
      const res = await t.http.post('/auth/register').set('Content-Type', 'application/json').send(body).expect(400);
      expect(res.body.details).toEqual([{ field: 'password', problem: expect.any(String) }]);
    });

    it('should answer an unknown route with 404 and the error body', async () => {
      const res = await t.http.get('/no/such/route').expect(404);
      expectErrorBody(res.body, 404);
      expect(res.body.error).toBe('Not Found');
      expect(res.body.requestId).toBe(res.headers['x-request-id']);
    });

    it('should answer an unknown method on a known path with 404 and the error body', async () => {
      const res = await t.http.put('/auth/login').send({}).expect(404);
      expectErrorBody(res.body, 404);
    });

    it('should answer an unexpected error with 500, a generic message and no internals', async () => {
      const u = await registerUser(t);
      const res = await withoutTable(t, 'items', () => t.http.get(`/lists/${u.listId}`).set(u.auth));
      expect(res.status).toBe(500);
      expectErrorBody(res.body, 500);
      expect(res.body.error).toBe('Internal Server Error');
      expect(res.body.requestId).toBe(res.headers['x-request-id']);
      expect(Object.keys(res.body).sort()).toEqual(['error', 'message', 'requestId', 'statusCode']);
      expect(res.text).not.toMatch(/items|relation|QueryFailed|stack|\.ts:\d+|\n\s+at /);
      // The table is back: the same request works again.
      await t.http.get(`/lists/${u.listId}`).set(u.auth).expect(200);
    });
  });

  describe('X-Request-ID', () => {
    it('should echo a valid X-Request-ID', async () => {
      const res = await t.http.get('/health').set('X-Request-ID', 'client-Req-42').expect(200);
      expect(res.headers['x-request-id']).toBe('client-Req-42');
    });

    it('should put the caller request id in an error body', async () => {
      const res = await t.http.get('/no/such/route').set('X-Request-ID', 'trace-0001').expect(404);
      expect(res.body.requestId).toBe('trace-0001');
      expect(res.headers['x-request-id']).toBe('trace-0001');
    });

    it('should accept a request id of exactly 64 characters', async () => {
      const id = 'a'.repeat(64);
      const res = await t.http.get('/health').set('X-Request-ID', id).expect(200);
      expect(res.headers['x-request-id']).toBe(id);
    });

    it.each([
      ['longer than 64 characters', 'a'.repeat(65)],
      ['with an underscore', 'abc_123'],
      ['with a space', 'abc 123'],
      ['with markup', '<script>alert(1)</script>'],
      ['with a newline-like escape', 'abc\\nFAKE LOG LINE'],
      ['with a dot and slash', '../../etc/passwd'],
    ])('should replace a request id %s with a generated one', async (_what, offered) => {
      const res = await t.http.get('/no/such/route').set('X-Request-ID', offered).expect(404);
      expect(res.headers['x-request-id']).not.toBe(offered);
      expect(res.headers['x-request-id']).toMatch(UUID);
      expect(res.body.requestId).toBe(res.headers['x-request-id']);
    });

    it('should generate a different request id for each request without one', async () => {
      const [a, b] = await Promise.all([t.http.get('/health').expect(200), t.http.get('/health').expect(200)]);
      expect(a.headers['x-request-id']).toMatch(UUID);
      expect(b.headers['x-request-id']).toMatch(UUID);
      expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
    });
  });

  describe('security headers', () => {
    it('should send helmet headers and no x-powered-by on a success', async () => {
      const res = await t.http.get('/health').expect(200);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers).not.toHaveProperty('x-powered-by');
    });

    it('should send helmet headers and no x-powered-by on an error answered before routing', async () => {
      const res = await t.http.post('/auth/login').set('Content-Type', 'application/json').send('{').expect(400);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toBeDefined();
      expect(res.headers).not.toHaveProperty('x-powered-by');
    });

    it('should not allow any cross-origin caller when CORS_ORIGINS is empty', async () => {
      const res = await t.http.get('/health').set('Origin', 'https://app.example.com').expect(200);
      expect(res.headers).not.toHaveProperty('access-control-allow-origin');
    });
  });

  describe('liveness and readiness', () => {
    it('should answer GET /health with 200 {status: "ok"}', async () => {
      const res = await t.http.get('/health').expect(200);
      expect(res.body).toEqual({ status: 'ok' });
    });

    it('should answer GET /ready with 200 {status: "ok"} while the database answers', async () => {
      const res = await t.http.get('/ready').expect(200);
      expect(res.body).toEqual({ status: 'ok' });
    });

    it('should not need a token for /health and /ready', async () => {
      await t.http.get('/health').set('Authorization', 'Bearer not-a-token').expect(200);
      await t.http.get('/ready').set('Authorization', 'Bearer not-a-token').expect(200);
    });
  });

  describe('with a small BODY_LIMIT and a CORS allowlist', () => {
    const ALLOWED = 'https://app.example.com';
    const small = useTestApp(
      { BODY_LIMIT: '2kb', CORS_ORIGINS: `${ALLOWED}, https://admin.example.com` },
      { reset: false },
    );

    it('should answer a body over BODY_LIMIT with 413 and the error body', async () => {
      const body = JSON.stringify({ email: 'ana@example.com', password: 'x'.repeat(3000), name: 'Ana' });
      const res = await small.http.post('/auth/login').set('Content-Type', 'application/json').send(body).expect(413);
      expectErrorBody(res.body, 413);
      expect(res.body.requestId).toBe(res.headers['x-request-id']);
    });

    it('should read a body under BODY_LIMIT', async () => {
      const body = JSON.stringify({ email: 'ana@example.com', password: 'x'.repeat(1500) });
      const res = await small.http.post('/auth/login').set('Content-Type', 'application/json').send(body).expect(400);
      expect(res.body.details).toEqual([{ field: 'password', problem: expect.any(String) }]);
    });

    it('should allow an origin from CORS_ORIGINS and expose X-Request-ID to it', async () => {
      const res = await small.http.get('/health').set('Origin', ALLOWED).expect(200);
      expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
      expect(res.headers['access-control-expose-headers']).toMatch(/X-Request-ID/i);
    });

    it('should allow every origin of the comma-separated list, trimmed', async () => {
      const res = await small.http.get('/health').set('Origin', 'https://admin.example.com').expect(200);
      expect(res.headers['access-control-allow-origin']).toBe('https://admin.example.com');
    });

    it('should answer a preflight from an allowed origin with the Authorization header allowed', async () => {
      const res = await small.http
        .options('/lists')
        .set('Origin', ALLOWED)
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'authorization,content-type');
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
      expect(res.headers['access-control-allow-methods']).toMatch(/POST/);
      expect(res.headers['access-control-allow-headers']).toMatch(/authorization/i);
    });

    it('should not allow a foreign origin', async () => {
      const res = await small.http.get('/health').set('Origin', 'https://evil.example.net').expect(200);
      expect(res.headers).not.toHaveProperty('access-control-allow-origin');
    });

    it('should not allow an origin that only starts like an allowed one', async () => {
      const res = await small.http.get('/health').set('Origin', `${ALLOWED}.evil.example.net`).expect(200);
      expect(res.headers).not.toHaveProperty('access-control-allow-origin');
    });

    it('should not answer a preflight from a foreign origin with CORS headers', async () => {
      const res = await small.http
        .options('/lists')
        .set('Origin', 'https://evil.example.net')
        .set('Access-Control-Request-Method', 'POST');
      expect(res.headers).not.toHaveProperty('access-control-allow-origin');
      expect(res.headers).not.toHaveProperty('access-control-allow-methods');
    });
  });
});

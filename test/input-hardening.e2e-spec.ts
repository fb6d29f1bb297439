import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import { TestApp, useTestApp } from './support/app';
import { expectInvalidExactly, UUID } from './support/expect';
import { expectErrorBody, Registered, registerUser } from './support/factories';
import { addItem, getList, itemsOf, ownerAndMember } from './support/lists';
import { Frame, TestSocket, wsUrl } from './support/ws-client';

/** Sends raw JSON text or bytes as they are (supertest would serialize a Buffer as JSON). */
function postJson(t: TestApp, u: Registered, path: string, text: string | Buffer, type = 'application/json') {
  return t.http
    .post(path)
    .set(u.auth)
    .set('Content-Type', type)
    .serialize((body: unknown) => body as string)
    .send(text);
}

async function listCount(t: TestApp, u: Registered): Promise<number> {
  return ((await t.http.get('/lists').set(u.auth).expect(200)).body as unknown[]).length;
}

/** Writes raw bytes to the server and reads everything it answers until it closes the connection. */
function rawHttp(t: TestApp, text: string): Promise<string> {
  const { port } = t.app.getHttpServer().address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

/** Status, headers and JSON body of a raw HTTP answer. */
function parseRaw(answer: string): { status: number; headers: Record<string, string>; body: unknown } {
  const [head, body] = answer.split('\r\n\r\n');
  const [statusLine, ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(
    lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
  );
  return { status: Number(statusLine.split(' ')[1]), headers, body: body ? (JSON.parse(body) as unknown) : null };
}

describe('input hardening', () => {
  const t = useTestApp();

  describe('JSON bodies', () => {
    it.each([
      ['__proto__ at the top level', '{"name":"Party","__proto__":{"isAdmin":true}}', '__proto__'],
      ['__proto__ set to null', '{"name":"Party","__proto__":null}', '__proto__'],
      ['constructor.prototype', '{"name":"Party","constructor":{"prototype":{"isAdmin":true}}}', 'constructor'],
      ['prototype inside a value', '{"name":{"prototype":"Party"}}', 'name.prototype'],
      ['__proto__ spelled with an escape', '{"name":"Party","\\u005f_proto__":{"isAdmin":true}}', '__proto__'],
    ])('should refuse %s with 400 naming the field, and create nothing', async (_label, text, field) => {
      const u = await registerUser(t);
      const res = await postJson(t, u, '/lists', text);
      expectInvalidExactly(res, [field], { namedInMessage: true });
      expect(res.body.details).toEqual([{ field, problem: 'is not an allowed property' }]);
      expect(await listCount(t, u)).toBe(1);
    });

    it('should refuse a prototype key in a nested value of a public route too', async () => {
      const res = await t.http
        .post('/auth/login')
        .set('Content-Type', 'application/json')
        .send('{"email":"ana@example.com","password":{"__proto__":{"length":3}}}');
      expectInvalidExactly(res, ['password.__proto__']);
    });

    it('should refuse a key given twice with 400 naming it, whichever value comes first', async () => {
      const u = await registerUser(t);
      for (const text of ['{"name":"Party","name":"Other"}', '{"name":{"a":1},"name":"Party"}']) {
        const res = await postJson(t, u, '/lists', text);
        expectInvalidExactly(res, ['name'], { namedInMessage: true });
        expect(res.body.details).toEqual([{ field: 'name', problem: 'appears more than once' }]);
      }
      expect(await listCount(t, u)).toBe(1);
    });

    it('should refuse 100,000 levels of nesting with 400, not 500, on public and protected routes', async () => {
      const u = await registerUser(t);
      const deep = '['.repeat(100_000) + ']'.repeat(100_000);
      const login = await t.http
        .post('/auth/login')
        .set('Content-Type', 'application/json')
        .send(`{"email":"ana@example.com","password":${deep}}`);
      const item = await postJson(t, u, `/lists/${u.listId}/items`, `{"name":${deep}}`);
      for (const [res, field] of [
        [login, 'password'],
        [item, 'name'],
      ] as const) {
        expect(res.status).toBe(400);
        expectErrorBody(res.body, 400);
        expect(res.body.details).toEqual([
          { field: `${field}${'.0'.repeat(15)}`, problem: 'is nested deeper than 16 levels' },
        ]);
      }
      expect(await itemsOf(t, u)).toEqual([]);
    });

    it('should still read a body nested 16 levels deep', async () => {
      const u = await registerUser(t);
      const res = await postJson(t, u, '/lists', `{"name":${'['.repeat(15)}${']'.repeat(15)}}`);
      expectInvalidExactly(res, ['name']); // read, then refused by validation: not a string
      expect(res.body.details[0].problem).not.toMatch(/nested/);
    });

    it.each([
      ['a NUL character', '"Milk\\u0000"'],
      ['an unpaired high surrogate', '"Milk \\ud83d"'],
      ['an unpaired low surrogate', '"\\ude12 Milk"'],
    ])('should refuse a name with %s with 400 and store nothing', async (_label, name) => {
      const { owner, member, listId } = await ownerAndMember(t);
      const item = await addItem(t, owner, listId, { name: 'Eggs' });
      for (const [path, text, method] of [
        [`/lists/${listId}/items`, `{"name":${name}}`, 'post'],
        [`/lists/${listId}/items/${item.id}`, `{"name":${name}}`, 'patch'],
        [`/lists/${listId}`, `{"name":${name}}`, 'patch'],
        ['/lists', `{"name":${name}}`, 'post'],
        [`/lists/${listId}/stores/`, `{"name":${name}}`, 'post'],
      ] as const) {
        const res = await t.http[method](path).set(member.auth).set('Content-Type', 'application/json').send(text);
        expectInvalidExactly(res, ['name']);
        expect(res.body.details).toEqual([
          { field: 'name', problem: 'must not contain NUL characters or unpaired surrogates' },
        ]);
      }
      const list = await getList(t, owner, listId);
      expect([list.name, list.items.map((i) => i.name), list.seq]).toEqual(["Olga's List", ['Eggs'], 2]);
    });

    it.each([
      ['an array', '[{"name":"Party"}]'],
      ['a string', '"Party"'],
      ['a number', '42'],
      ['null', 'null'],
    ])('should refuse a body that is %s with 400 "must be a JSON object"', async (_label, text) => {
      const u = await registerUser(t);
      const res = await postJson(t, u, '/lists', text);
      expect(res.status).toBe(400);
      expectErrorBody(res.body, 400);
      expect(res.body.message).toBe('The request body must be a JSON object.');
    });

    it('should refuse JSON in another charset with 415 and bytes that are not UTF-8 with 400', async () => {
      const u = await registerUser(t);
      const latin1 = await postJson(t, u, '/lists', '{"name":"Caf\u00e9"}', 'application/json; charset=latin1');
      expect(latin1.status).toBe(415);
      expectErrorBody(latin1.body, 415);
      expect(latin1.body.message).toBe('The request body must be JSON encoded as UTF-8.');
      const bytes = Buffer.from([...Buffer.from('{"name":"Caf'), 0xe9, ...Buffer.from('"}')]);
      const invalid = await postJson(t, u, '/lists', bytes);
      expect(invalid.status).toBe(400);
      expectErrorBody(invalid.body, 400);
      expect(invalid.body.message).toBe('The request body is not valid UTF-8.');
      expect(await listCount(t, u)).toBe(1);
    });

    it('should read UTF-8 JSON with a byte order mark or an explicit charset', async () => {
      const u = await registerUser(t);
      const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"name":"Café 🛒"}')]);
      expect((await postJson(t, u, '/lists', bom).expect(201)).body.name).toBe('Café 🛒');
      const typed = await postJson(t, u, '/lists', '{"name":"Bar"}', 'application/json; charset=UTF-8').expect(201);
      expect(typed.body.name).toBe('Bar');
    });
  });

  describe('requests Node cannot parse', () => {
    it('should answer a request head over 16 KB with 431 and the error body', async () => {
      const answer = parseRaw(
        await rawHttp(t, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`),
      );
      expect(answer.status).toBe(431);
      expect(answer.headers['content-type']).toMatch(/^application\/json/);
      expect(answer.body).toEqual({
        statusCode: 431,
        error: 'Request Header Fields Too Large',
        message: 'The request headers are too large.',
        requestId: expect.stringMatching(UUID),
      });
      expect(answer.headers['x-request-id']).toBe((answer.body as { requestId: string }).requestId);
    });

    it.each([
      ['a header line without a colon', 'GET /health HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n'],
      ['no request line', 'BLAH\r\n\r\n'],
      [
        'both Content-Length and chunked',
        'POST /lists HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      ],
    ])('should answer %s with 400 and the error body', async (_label, request) => {
      const answer = parseRaw(await rawHttp(t, request));
      expect(answer.status).toBe(400);
      expect(answer.headers['content-type']).toMatch(/^application\/json/);
      expect(answer.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: 'The request could not be read.',
        requestId: expect.stringMatching(UUID),
      });
    });
  });

  describe('WebSocket frames', () => {
    const opened: WebSocket[] = [];
    afterEach(() => {
      for (const ws of opened.splice(0)) if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
    });

    async function open(u: Registered, listId = u.listId): Promise<TestSocket> {
      const socket = await TestSocket.open(wsUrl(t, `/ws/lists/${listId}?token=${u.token}`));
      opened.push(socket.ws);
      await socket.waitFor((frames) => frames.some((f) => f.type === 'presence'), 5000, 'presence');
      return socket;
    }

    /** The error frames the socket got for `text`, read after a ping/pong sync point. */
    async function errorsFor(socket: TestSocket, text: string): Promise<Frame[]> {
      const before = socket.frames.length;
      socket.ws.send(text);
      await socket.sync();
      return socket.frames.slice(before).filter((f) => f.type === 'error');
    }

    it.each([
      ['not JSON', 'not json', 'The frame is not valid JSON.'],
      [
        'a prototype key',
        '{"type":"ping","payload":{"__proto__":{"x":1}}}',
        'payload.__proto__ is not an allowed property.',
      ],
      ['a key twice', '{"type":"item:checking","type":"ping"}', 'type appears more than once.'],
      [
        '10,000 levels of nesting',
        `{"type":"item:checking","payload":${'['.repeat(10_000)}${']'.repeat(10_000)}}`,
        `payload${'.0'.repeat(15)} is nested deeper than 16 levels.`,
      ],
      [
        'a NUL in a string',
        '{"type":"item:checking","payload":{"itemId":"\\u0000"}}',
        'payload.itemId must not contain NUL characters or unpaired surrogates.',
      ],
    ])(
      'should answer a frame with %s with one error frame naming the problem, and keep the socket',
      async (_label, text, message) => {
        const { owner, member } = await ownerAndMember(t);
        const sender = await open(owner);
        const bystander = await open(member, owner.listId);
        expect(await errorsFor(sender, text)).toEqual([{ type: 'error', payload: { message } }]);
        expect(sender.closeCode).toBeUndefined();
        await bystander.sync();
        expect(bystander.frames.filter((f) => f.type !== 'presence' && f.type !== 'pong')).toEqual([]);
      },
    );
  });
  describe('ids in paths', () => {
    // Found while fuzzing with upper-case ids: the path id went as typed into event payloads
    // and into the NOTIFY that wakes the list's sockets, whose room is keyed by the lower-case id.
    it('should log and deliver the events of writes named by upper-case ids with the ids as the server writes them', async () => {
      const { owner, member, listId } = await ownerAndMember(t);
      const socket = await TestSocket.open(wsUrl(t, `/ws/lists/${listId}?token=${member.token}`));
      try {
        await socket.waitFor((frames) => frames.some((f) => f.type === 'presence'), 5000, 'presence');
        const item = await addItem(t, owner, listId, { name: 'Milk' });
        const upper = `/lists/${listId.toUpperCase()}`;
        await t.http.delete(`${upper}/items/${item.id.toUpperCase()}`).set(owner.auth).expect(204);
        const renamed = await t.http.patch(upper).set(owner.auth).send({ name: 'Renamed' }).expect(200);
        expect(renamed.body.id).toBe(listId);
        await socket.waitForSeq(4);
        expect(socket.durable().slice(-2)).toEqual([
          { type: 'item:removed', payload: { id: item.id }, seq: 3 },
          { type: 'list:updated', payload: { id: listId, name: 'Renamed', version: 2 }, seq: 4 },
        ]);
      } finally {
        await socket.close();
      }
    });
  });
});

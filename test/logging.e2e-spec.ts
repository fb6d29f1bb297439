import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConsoleLogger, Logger } from '@nestjs/common';
import { bootLogger } from '../src/common/logging/logging.module';
import { useTestApp } from './support/app';
import { withoutTable } from './support/database';
import { eventually } from './support/eventually';
import { registerUser } from './support/factories';

interface LogLine {
  level: number;
  msg?: string;
  req?: { id?: string; method?: string; url?: string };
  res?: { statusCode?: number };
  err?: { stack?: string; type?: string };
  requestId?: string;
  [key: string]: unknown;
}

/**
 * Everything the app writes to stdout while the spy is installed. pino writes to
 * process.stdout itself (instead of its own fd-1 stream) once process.stdout.write has been
 * replaced, so the spy must exist before the app, and thus its logger, is created.
 */
class StdoutCapture {
  readonly chunks: string[] = [];
  private spy: jest.SpiedFunction<typeof process.stdout.write> | undefined;

  start(): void {
    this.spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      this.chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    });
  }

  stop(): void {
    this.spy?.mockRestore();
  }

  get text(): string {
    return this.chunks.join('');
  }

  get lines(): string[] {
    return this.text.split('\n').filter((line) => line.trim() !== '');
  }

  parsed(): LogLine[] {
    return this.lines.map((line) => JSON.parse(line) as LogLine);
  }

  /** The log lines are written when the response finishes; wait (bounded) for the one wanted. */
  waitFor(predicate: (line: LogLine) => boolean, timeoutMs = 2000): Promise<LogLine> {
    return eventually(
      () => {
        const found = this.parsed().find(predicate);
        if (found) return found;
        throw new Error(`no such log line within ${timeoutMs} ms:\n${this.text}`);
      },
      { timeoutMs },
    );
  }
}

describe('logging', () => {
  const capture = new StdoutCapture();
  // Hooks run in declaration order: the capture is installed before the app boots, removed after it closed.
  beforeAll(() => capture.start());
  const t = useTestApp({ LOG_LEVEL: 'info' });
  afterAll(() => capture.stop());

  it('should write every log line as JSON', async () => {
    await t.http.get('/health').set('X-Request-ID', 'json-lines-check').expect(200);
    await capture.waitFor((line) => line.req?.id === 'json-lines-check');
    expect(capture.lines.length).toBeGreaterThan(0);
    for (const line of capture.lines) {
      expect(() => JSON.parse(line) as unknown).not.toThrow();
    }
  });

  it('should log each request with its request id, method, path and status', async () => {
    await t.http.get('/health').set('X-Request-ID', 'log-health-1').expect(200);
    const line = await capture.waitFor((l) => l.req?.id === 'log-health-1' && l.res !== undefined);
    expect(line.req).toMatchObject({ id: 'log-health-1', method: 'GET', url: '/health' });
    expect(line.res).toEqual({ statusCode: 200 });
    expect(line.msg).toMatch(/request completed/);
  });

  it('should log a generated request id equal to the one echoed to the caller', async () => {
    const res = await t.http.get('/no/such/route').expect(404);
    const id = res.headers['x-request-id'];
    expect(res.body.requestId).toBe(id);
    const line = await capture.waitFor((l) => l.req?.id === id && l.res !== undefined);
    expect(line.res).toEqual({ statusCode: 404 });
  });

  it('should keep passwords, tokens and ?token=/?ticket=/?code= values out of every log line', async () => {
    const password = 'Pa55word-that-must-not-leak';
    const u = await registerUser(t, { password });
    const login = await t.http.post('/auth/login').send({ email: u.email, password }).expect(200);
    const loginToken = login.body.token as string;
    const refreshToken = login.body.refreshToken as string;
    await t.http
      .get('/auth/me')
      .set('Authorization', `Bearer ${loginToken}`)
      .set('X-Request-ID', 'log-me-1')
      .expect(200);
    await t.http.post('/auth/refresh').send({ refreshToken }).expect(200);
    await t.http.get('/health?token=secret123&keep=visible').set('X-Request-ID', 'log-query-1').expect(200);
    await t.http.get(`/lists/${u.listId}?ticket=secret123`).set(u.auth).expect(200);
    await t.http.get('/no/such/route?code=secret123').set('X-Request-ID', 'log-query-2').expect(404);
    await t.http.get('/auth/me').set('Authorization', 'Bearer secret123').expect(401);
    await t.http.post('/auth/login').send({ email: u.email, password: 'secret123-wrong' }).expect(401);

    const queryLine = await capture.waitFor((l) => l.req?.id === 'log-query-1' && l.res !== undefined);
    expect(queryLine.req?.url).toBe('/health?token=[redacted]&keep=visible');
    await capture.waitFor((l) => l.req?.id === 'log-query-2' && l.res !== undefined);
    await capture.waitFor((l) => l.req?.id === 'log-me-1' && l.res !== undefined);

    const secrets = [password, loginToken, u.token, refreshToken, u.refreshToken, 'secret123'];
    for (const line of capture.lines) {
      for (const secret of secrets) {
        expect({ line, leaks: line.includes(secret) }).toEqual({ line, leaks: false });
      }
      expect(line).not.toMatch(/Bearer /i);
    }
  });

  it('should keep the reset code and the new password out of every log line', async () => {
    const u = await registerUser(t);
    await t.http.post('/auth/password-reset/request').send({ email: u.email }).expect(202);
    const code = await readResetCodeFromOutbox(u.email);
    const newPassword = 'brand-new-secret-password';
    await t.http
      .post('/auth/password-reset/confirm?code=' + code)
      .set('X-Request-ID', 'log-reset-1')
      .send({ email: u.email, code, newPassword })
      .expect(204);
    await capture.waitFor((l) => l.req?.id === 'log-reset-1' && l.res !== undefined);
    for (const line of capture.lines) {
      expect({ line, leaks: line.includes(code) || line.includes(newPassword) }).toEqual({ line, leaks: false });
    }
  });

  it('should log an unexpected error with its stack and request id, and keep the password out', async () => {
    const password = 'another-password-never-logged';
    const u = await registerUser(t, { password });
    const res = await withoutTable(t, 'sessions', () =>
      t.http.post('/auth/login').set('X-Request-ID', 'log-500-1').send({ email: u.email, password }),
    );
    expect(res.status).toBe(500);
    expect(res.text).not.toMatch(/\n\s+at /);
    const errorLine = await capture.waitFor((l) => l.requestId === 'log-500-1' && l.err !== undefined);
    expect(errorLine.err?.stack).toMatch(/\n\s+at /);
    const requestLine = await capture.waitFor((l) => l.req?.id === 'log-500-1' && l.res !== undefined);
    expect(requestLine.res).toEqual({ statusCode: 500 });
    for (const line of capture.lines) {
      // Nothing else (e.g. the ORM's own console logger) writes plain text next to the JSON lines.
      expect(() => JSON.parse(line) as unknown).not.toThrow();
      expect({ line, leaks: line.includes(password) }).toEqual({ line, leaks: false });
    }
  });

  it('should log a failed query without its parameters or values: no email, password or password hash in any line', async () => {
    const email = `never-logged-${randomUUID()}@example.com`;
    const password = 'a-password-of-a-failed-signup';
    // Every new user is refused, as a broken constraint would: the INSERT carrying the email,
    // the name and the password hash fails, with the email in the error's detail too.
    await t.dataSource.query(`
      CREATE FUNCTION refuse_new_users() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'refused by the test' USING DETAIL = 'Key (email)=(' || NEW.email || ')'; END $$`);
    await t.dataSource.query(
      `CREATE TRIGGER refuse_new_users BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION refuse_new_users()`,
    );
    try {
      await t.http
        .post('/auth/register')
        .set('X-Request-ID', 'log-query-failed-1')
        .send({ email, password, name: 'Ana' })
        .expect(500);
    } finally {
      await t.dataSource.query(`DROP TRIGGER refuse_new_users ON users`);
      await t.dataSource.query(`DROP FUNCTION refuse_new_users()`);
    }
    // A login whose lookup fails: the email is that query's only parameter.
    await withoutTable(t, 'users', () =>
      t.http.post('/auth/login').set('X-Request-ID', 'log-query-failed-2').send({ email, password }).expect(500),
    );

    const register = await capture.waitFor((l) => l.requestId === 'log-query-failed-1' && l.err !== undefined);
    expect(register.err).toMatchObject({ type: 'QueryFailedError', message: 'refused by the test', code: 'P0001' });
    const login = await capture.waitFor((l) => l.requestId === 'log-query-failed-2' && l.err !== undefined);
    expect(login.err).toMatchObject({ type: 'QueryFailedError', code: '42P01' });
    for (const line of capture.lines) {
      const leaks = [email, password, '$argon2', 'parameters'].filter((secret) => line.includes(secret));
      expect({ line, leaks }).toEqual({ line, leaks: [] });
    }
  });
});

describe('logging of /metrics', () => {
  const capture = new StdoutCapture();
  beforeAll(() => capture.start());
  const t = useTestApp({ LOG_LEVEL: 'info', METRICS_TOKEN: 'metrics-token-for-the-tests-0123456789' });
  afterAll(() => capture.stop());

  it('should log a refused scrape like any request, with its status and without the offered token', async () => {
    await t.http
      .get('/metrics')
      .set('X-Request-ID', 'metrics-refused')
      .set('Authorization', 'Bearer guessed-metrics-token-000')
      .expect(401);
    const line = await capture.waitFor((l) => l.req?.id === 'metrics-refused');
    expect(line).toMatchObject({ req: { method: 'GET', url: '/metrics' }, res: { statusCode: 401 } });
    expect(capture.text).not.toContain('guessed-metrics-token-000');
  });
});

describe('logging before the app exists', () => {
  const capture = new StdoutCapture();
  beforeAll(() => capture.start());
  afterAll(() => {
    Logger.overrideLogger(new ConsoleLogger());
    capture.stop();
  });

  it("should write Nest's static Logger (the embedded database starting) as the app's JSON lines, not Nest's console lines", async () => {
    Logger.overrideLogger(bootLogger({ ...process.env, LOG_LEVEL: 'info' }));
    new Logger('EmbeddedPostgres').log('PostgreSQL ready on port 54329');
    const line = await capture.waitFor((l) => l.context === 'EmbeddedPostgres');
    expect(line).toMatchObject({ level: 30, context: 'EmbeddedPostgres', msg: 'PostgreSQL ready on port 54329' });
    expect(capture.text).not.toContain('[Nest]');
  });
});

describe('logging with LOG_FORMAT=pretty', () => {
  const capture = new StdoutCapture();
  beforeAll(() => capture.start());
  const t = useTestApp({ LOG_LEVEL: 'info', LOG_FORMAT: 'pretty' });
  afterAll(() => capture.stop());

  it('should write a request as one readable line: time, level, method, path, status, duration', async () => {
    await t.http.get('/health').expect(200);
    const line = await eventually(() => {
      const found = capture.lines.find((l) => l.includes('GET /health'));
      if (!found) throw new Error(`no readable request line:\n${capture.text}`);
      return found;
    });
    expect(line).toMatch(/^\[\d{2}:\d{2}:\d{2}\.\d{3}\] INFO: GET \/health 200 in \d+ ms$/);
  });
});

/** The dev outbox (no SMTP configured): the newest message to `to`, and the code in it. */
function readResetCodeFromOutbox(to: string): Promise<string> {
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

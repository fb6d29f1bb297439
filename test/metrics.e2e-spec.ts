import { randomUUID } from 'node:crypto';
import { TestApp, useTestApp } from './support/app';
import { eventually } from './support/eventually';
import { expectErrorBody, registerUser } from './support/factories';
import { addItem, seqOf } from './support/lists';
import { TestSocket, wsUrl } from './support/ws-client';

const TOKEN = 'metrics-token-for-the-tests-0123456789';
const UUID_ANYWHERE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/** The value of one sample of the Prometheus text format (0 when the series does not exist yet). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = match[2] ? match[2].split(',') : [];
    if (wanted.length === present.length && wanted.every((pair) => present.includes(pair))) return Number(match[3]);
  }
  return 0;
}

async function scrape(t: TestApp): Promise<string> {
  const res = await t.http.get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200);
  return res.text;
}

/** Waits until `read(scrape)` is `expected` (a request is recorded once its answer has been sent). */
async function expectMetric(t: TestApp, read: (text: string) => number, expected: number): Promise<void> {
  await eventually(async () => expect(read(await scrape(t))).toBe(expected));
}

describe('GET /metrics without METRICS_TOKEN', () => {
  const t = useTestApp();

  it('should not be served at all: the usual 404 with the error body', async () => {
    const res = await t.http.get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(404);
    expectErrorBody(res.body, 404);
  });
});

describe('GET /metrics with METRICS_TOKEN', () => {
  const t = useTestApp({ METRICS_TOKEN: TOKEN, LOGIN_MAX_FAILURES_PER_IP: '2' });

  describe('access', () => {
    it.each([
      ['no Authorization header', undefined],
      ['a wrong token', `Bearer ${TOKEN}x`],
      ['a prefix of the token', `Bearer ${TOKEN.slice(0, -1)}`],
      ['the token without the Bearer scheme', TOKEN],
      ['the token as Basic credentials', `Basic ${TOKEN}`],
    ])('should refuse %s with 401 and the error body', async (_case, authorization) => {
      const request = t.http.get('/metrics');
      if (authorization !== undefined) request.set('Authorization', authorization);
      const res = await request.expect(401);
      expectErrorBody(res.body, 401);
      expect(res.body.message).toBe('Metrics need Authorization: Bearer <METRICS_TOKEN>.');
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(res.text).not.toContain('cartsync_');
    });

    it('should serve the Prometheus text format with the right token', async () => {
      const res = await t.http.get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200);
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8; version=0.0.4');
      expect(res.headers['cache-control']).toBe('no-store');
      for (const name of [
        'cartsync_http_request_duration_seconds',
        'cartsync_ws_open_sockets',
        'cartsync_ws_frames_sent_total',
        'cartsync_ws_replays_total',
        'cartsync_ws_resyncs_total',
        'cartsync_throttled_total',
        'cartsync_db_pool_connections',
        'cartsync_db_pool_idle',
        'cartsync_db_pool_waiting',
        'cartsync_eventloop_delay_seconds',
      ]) {
        expect(res.text).toContain(`# TYPE ${name} `);
      }
    });
  });

  describe('requests', () => {
    const listRoute = { method: 'GET', route: '/lists/:id', status: '200' };
    const count = (labels: Record<string, string>) => (text: string) =>
      sample(text, 'cartsync_http_request_duration_seconds_count', labels);

    it('should count exactly 3 more GET /lists/:id after 3 reads, under the route template', async () => {
      const ana = await registerUser(t);
      const before = count(listRoute)(await scrape(t));
      for (let i = 0; i < 3; i++) await t.http.get(`/lists/${ana.listId}`).set(ana.auth).expect(200);
      await expectMetric(t, count(listRoute), before + 3);
    });

    it('should label by status: a 404 read of a list counts under the same template with status 404', async () => {
      const ana = await registerUser(t);
      const missing = { ...listRoute, status: '404' };
      const before = count(missing)(await scrape(t));
      await t.http.get(`/lists/${randomUUID()}`).set(ana.auth).expect(404);
      await expectMetric(t, count(missing), before + 1);
    });

    it('should count a path no route serves as (unmatched), never by its raw path', async () => {
      const unmatched = { method: 'GET', route: '(unmatched)', status: '404' };
      const before = count(unmatched)(await scrape(t));
      await t.http.get(`/nothing/${randomUUID()}`).expect(404);
      await t.http.get(`/lists/${randomUUID()}/nothing`).expect(404);
      await expectMetric(t, count(unmatched), before + 2);
    });

    it('should put no raw id in any label, after requests full of ids', async () => {
      const ana = await registerUser(t);
      const milk = await addItem(t, ana, ana.listId, { name: 'Milk' });
      await t.http.patch(`/lists/${ana.listId}/items/${milk.id}`).set(ana.auth).send({ checked: true }).expect(200);
      await t.http.get(`/lists/${randomUUID()}/stores`).set(ana.auth).expect(404);
      const patched = { method: 'PATCH', route: '/lists/:listId/items/:itemId', status: '200' };
      await eventually(async () => expect(count(patched)(await scrape(t))).toBe(1));
      expect(await scrape(t)).not.toMatch(UUID_ANYWHERE);
    });
  });

  describe('sockets', () => {
    const open = (text: string) => sample(text, 'cartsync_ws_open_sockets');
    const frames = (type: string) => (text: string) => sample(text, 'cartsync_ws_frames_sent_total', { type });

    it('should show one more open socket while a socket is open, and one fewer once it closed', async () => {
      const ana = await registerUser(t);
      const before = open(await scrape(t));
      const socket = await TestSocket.open(wsUrl(t, `/ws/lists/${ana.listId}?token=${ana.token}`));
      await socket.sync();
      expect(open(await scrape(t))).toBe(before + 1);
      await socket.close();
      await expectMetric(t, open, before);
    });

    it('should count the frames sent by type: two item:added to a full-stream socket', async () => {
      const ana = await registerUser(t);
      const before = frames('item:added')(await scrape(t));
      const since = await seqOf(t, ana);
      const socket = await TestSocket.open(wsUrl(t, `/ws/lists/${ana.listId}?token=${ana.token}&since=${since}`));
      await addItem(t, ana, ana.listId, { name: 'Milk' });
      await addItem(t, ana, ana.listId, { name: 'Eggs' });
      await socket.waitFor((f) => f.filter((x) => x.type === 'item:added').length === 2);
      await socket.sync();
      expect(frames('item:added')(await scrape(t))).toBe(before + 2);
      await socket.close();
    });

    it('should count a replay when a socket starts from ?since= behind the list', async () => {
      const ana = await registerUser(t);
      const replays = (text: string) => sample(text, 'cartsync_ws_replays_total', { from: 'since' });
      const since = await seqOf(t, ana);
      await addItem(t, ana, ana.listId, { name: 'Milk' });
      const first = await scrape(t);
      const socket = await TestSocket.open(wsUrl(t, `/ws/lists/${ana.listId}?token=${ana.token}&since=${since}`));
      await socket.waitFor((f) => f.some((x) => x.type === 'item:added'));
      const after = await scrape(t);
      expect(replays(after)).toBe(replays(first) + 1);
      expect(sample(after, 'cartsync_ws_resyncs_total')).toBe(sample(first, 'cartsync_ws_resyncs_total'));
      await socket.close();
    });

    it('should count a resync when ?since= cannot be replayed', async () => {
      const ana = await registerUser(t);
      const resyncs = (text: string) => sample(text, 'cartsync_ws_resyncs_total');
      const before = await scrape(t);
      const socket = await TestSocket.open(wsUrl(t, `/ws/lists/${ana.listId}?token=${ana.token}&since=999`));
      await socket.waitFor((f) => f.some((x) => x.type === 'resync'));
      const after = await scrape(t);
      expect(resyncs(after)).toBe(resyncs(before) + 1);
      expect(frames('resync')(after)).toBe(frames('resync')(before) + 1);
      await socket.close();
    });
  });

  describe('throttles', () => {
    it('should count a 429 under the limit that refused it', async () => {
      const ana = await registerUser(t);
      const throttled = (text: string) => sample(text, 'cartsync_throttled_total', { limit: 'loginPerIp' });
      const before = throttled(await scrape(t));
      const login = () => t.http.post('/auth/login').send({ email: ana.email, password: 'not the password' });
      await login().expect(401);
      await login().expect(401);
      expect(throttled(await scrape(t))).toBe(before);
      await login().expect(429);
      expect(throttled(await scrape(t))).toBe(before + 1);
    });
  });

  describe('process', () => {
    it('should report the database pool as the pg pool counts it', async () => {
      const text = await scrape(t);
      const pool = (t.dataSource.driver as unknown as { master: { totalCount: number; idleCount: number } }).master;
      expect(sample(text, 'cartsync_db_pool_connections')).toBe(pool.totalCount);
      expect(sample(text, 'cartsync_db_pool_connections')).toBeGreaterThan(0);
      expect(sample(text, 'cartsync_db_pool_idle')).toBe(pool.idleCount);
      expect(sample(text, 'cartsync_db_pool_waiting')).toBe(0);
    });

    it('should report the event-loop delay in seconds', async () => {
      const text = await scrape(t);
      for (const quantile of ['0.5', '0.9', '0.99', 'max']) {
        const line = new RegExp(`^cartsync_eventloop_delay_seconds\\{quantile="${quantile}"\\} (\\S+)$`, 'm').exec(
          text,
        );
        expect({ quantile, seconds: Number(line?.[1]) }).toEqual({ quantile, seconds: expect.any(Number) });
        expect(Number(line![1])).toBeGreaterThanOrEqual(0);
        expect(Number(line![1])).toBeLessThan(5);
      }
    });
  });
});

import { copyFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Page } from 'playwright-core';
import sharp from 'sharp';
import { WebSocket } from 'ws';
import {
  addItem,
  ARTIFACTS,
  BrowserHarness,
  LAN_HOST,
  openList,
  row,
  screenshot,
  seriousViolations,
  shownNames,
} from './support/harness';

const DOCS_SCREENSHOT = resolve(__dirname, '../../docs/web-client.png');

/** The web client at `/`, in chromium, against the built server. */
describe('the web client', () => {
  const t = new BrowserHarness();

  beforeAll(() => t.start(), 60_000);
  afterAll(() => t.stop());
  afterEach(() => t.closeContexts());

  /** Every WebSocket URL the page opens. */
  const socketsOf = (page: Page): string[] => {
    const urls: string[] = [];
    page.on('websocket', (socket) => urls.push(socket.url()));
    return urls;
  };

  it('should be served at / with a strict CSP, leaving API 404s as JSON', async () => {
    const page = await fetch(`${t.base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('<script type="module" src="main.js"></script>');
    const script = await fetch(`${t.base}/main.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/^(text|application)\/javascript/);
    const missing = await t.request<{ statusCode: number; message: string }>('GET', '/no-such-route');
    expect(missing.status).toBe(404);
    expect(missing.body.statusCode).toBe(404);
    expect((await t.request('GET', '/health')).status).toBe(200);
  });

  it('should work over plain http from another machine in development (no upgrade to https)', async () => {
    const a = await t.register('Ana');
    const { page } = await t.open(a);
    await page.goto(`http://${LAN_HOST}:${t.server.port}/#/lists/${a.listIds[0]}`);
    await page.getByRole('heading', { name: "Ana's List" }).waitFor();
    await page.locator('main[data-live="connected"]').waitFor();
    await addItem(page, 'Pears');
    await page.locator('#to-buy li.item[data-name="Pears"]:not(.pending)').waitFor();
    await screenshot(page, 'plain-http-lan');
    expect((await t.list(a, a.listIds[0])).items.map((item) => item.name)).toEqual(['Pears']);
  });

  it("should let the page's own origin open a list socket, and still refuse a foreign one with 403", async () => {
    const { a, listId } = await t.partners();
    const handshake = (origin: string) =>
      new Promise<number>((done, fail) => {
        const socket = new WebSocket(`ws://127.0.0.1:${t.server.port}/ws/lists/${listId}?token=${a.token}`, {
          headers: { Origin: origin },
        });
        socket.once('open', () => {
          socket.close();
          done(101);
        });
        socket.once('unexpected-response', (_request, response) => done(response.statusCode ?? 0));
        socket.once('error', fail);
      });
    expect(await handshake(t.base)).toBe(101);
    expect(await handshake('http://evil.example')).toBe(403);
  });

  it('should register, open the first list, rename it, let a partner join with the copied code and sign out', async () => {
    const { page } = await t.open();
    await page.goto('/');
    await page.getByRole('heading', { name: 'Sign in to CartSync' }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'login');

    await page.getByRole('button', { name: 'Create an account' }).click();
    await page.getByLabel('Your name').fill('Ana');
    const email = `ana-${Date.now()}@example.com`;
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: "Ana's List" }).waitFor();
    await page.locator('#presence', { hasText: 'Here now: Ana (you)' }).waitFor();
    expect(await page.getByText(`Signed in as Ana`).count()).toBe(1);

    await page.getByRole('button', { name: 'Rename list' }).click();
    await page.getByLabel('List name').fill('Weekend shop');
    await page.getByRole('button', { name: 'Save name' }).click();
    await page.getByRole('heading', { name: 'Weekend shop' }).waitFor();

    const code = (await page.locator('#invite-code').textContent())!;
    expect(code).toMatch(/^[A-Z0-9]{3}-[A-Z0-9]{3}$/);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.getByRole('button', { name: 'Copy invite code' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(code);

    // Ben joins with that code from his lists page, and both see each other.
    const ben = await t.register('Ben');
    const { page: benPage } = await t.open(ben, { width: 390, height: 844 });
    await benPage.goto('/#/lists');
    await benPage.getByLabel('Invite code').fill(code.toLowerCase());
    await benPage.getByRole('button', { name: 'Join list' }).click();
    await benPage.getByRole('heading', { name: 'Weekend shop' }).waitFor();
    await benPage.locator('#presence', { hasText: 'Here now: Ana, Ben (you)' }).waitFor();
    await page.locator('#presence', { hasText: 'Here now: Ana (you), Ben' }).waitFor();
    await screenshot(benPage, 'joined-on-phone');

    // A new list from the lists page.
    await page.getByRole('link', { name: 'All lists' }).click();
    await page.getByRole('link', { name: 'Weekend shop' }).waitFor();
    await page.getByLabel('List name').fill('Hardware');
    await page.getByRole('button', { name: 'Create list' }).click();
    await page.getByRole('heading', { name: 'Hardware' }).waitFor();
    const me = await t.request<{ listIds: string[] }>('GET', '/auth/me', undefined, await token(page));
    expect(me.body.listIds).toHaveLength(2);

    const signedOut = await token(page);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to CartSync' }).waitFor();
    expect(await page.evaluate(() => localStorage.getItem('cartsync.token'))).toBeNull();
    expect((await t.request('GET', '/auth/me', undefined, signedOut)).status).toBe(401);

    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Hardware' }).waitFor();
    expect(await page.locator('.lists li').count()).toBe(2);
  });

  it("should show a partner's adds, edits and deletes within a second, over a ticket socket", async () => {
    const { a, b, listId } = await t.partners();
    const { page: ana } = await t.open(a);
    const { page: ben } = await t.open(b);
    const anaSockets = socketsOf(ana);
    await openList(ana, listId);
    await openList(ben, listId);
    expect(await seriousViolations(ana)).toEqual([]);

    await addItem(ana, 'Milk', 2, 'l');
    await row(ben, 'Milk').waitFor({ timeout: 1000 });
    expect(await row(ben, 'Milk').locator('.qty').textContent()).toBe('2 l');

    await row(ana, 'Milk').getByRole('button', { name: 'Edit Milk' }).click();
    await ana.getByLabel('Quantity', { exact: true }).last().fill('3');
    await ana.getByRole('button', { name: 'Save' }).click();
    await row(ben, 'Milk').locator('.qty', { hasText: '3 l' }).waitFor({ timeout: 1000 });

    await addItem(ben, 'Tea');
    await row(ana, 'Tea').waitFor({ timeout: 1000 });
    await row(ana, 'Tea').getByRole('button', { name: 'Delete Tea' }).click();
    await row(ben, 'Tea').waitFor({ state: 'detached', timeout: 1000 });
    await screenshot(ana, 'live-list');

    const list = await t.list(a, listId);
    expect(list.items.map((item) => [item.name, item.quantity, item.unit])).toEqual([['Milk', 3, 'l']]);
    // The socket URL carries a single-use ticket and the last seq seen, never the token.
    expect(anaSockets).toHaveLength(1);
    expect(anaSockets[0]).toMatch(new RegExp(`/ws/lists/${listId}\\?ticket=[^&]+&since=\\d+$`));
    expect(anaSockets[0]).not.toContain(a.token);
  });

  it('should light up an item a partner is checking, then show the check and the uncheck', async () => {
    const { a, b, listId } = await t.partners();
    for (const item of [
      { name: 'Eggs', quantity: 6, unit: '×' },
      { name: 'Milk', quantity: 2, unit: 'l' },
      { name: 'Tomatoes', quantity: 500, unit: 'g' },
      { name: 'Coffee beans', quantity: 1, unit: 'bag' },
    ]) {
      expect((await t.request('POST', `/lists/${listId}/items`, item, a.token)).status).toBe(201);
    }
    const { page: ana } = await t.open(a);
    const { page: ben } = await t.open(b);
    await openList(ana, listId);
    await openList(ben, listId);

    await row(ana, 'Eggs').getByRole('checkbox').check();
    await ben
      .locator('li.item.partner-checking[data-name="Eggs"]', { hasText: 'Ana is checking this' })
      .waitFor({ timeout: 1000 });
    await screenshot(ben, 'partner-checking');
    // The README's picture: a partner's check lighting up on the other's list. Written to docs/
    // only when asked (UPDATE_DOCS_SCREENSHOT=1), so a test run leaves the checkout unchanged.
    await ben.screenshot({ path: join(ARTIFACTS, 'web-client.png') });
    if (process.env.UPDATE_DOCS_SCREENSHOT === '1') await copyFile(join(ARTIFACTS, 'web-client.png'), DOCS_SCREENSHOT);
    await ben.locator('#in-cart li.item[data-name="Eggs"]').waitFor({ timeout: 2000 });
    expect(await row(ben, 'Eggs').getByRole('checkbox').isChecked()).toBe(true);
    const eggs = async () => (await t.list(a, listId)).items.find((item) => item.name === 'Eggs');
    expect(await eggs()).toMatchObject({ checked: true, checkedBy: a.user.id });
    // Ana's own page never lights up her own check.
    expect(await ana.locator('li.partner-checking').count()).toBe(0);

    // Ben puts them back: unchecked on both pages and on the server.
    await row(ben, 'Eggs').getByRole('checkbox').uncheck();
    await ana.locator('#to-buy li.item[data-name="Eggs"]').waitFor({ timeout: 1000 });
    expect(await row(ana, 'Eggs').getByRole('checkbox').isChecked()).toBe(false);
    await ben.locator('#to-buy li.item[data-name="Eggs"]:not(.pending)').waitFor();
    expect(await eggs()).toMatchObject({ checked: false });
  });

  it('should queue adds and checks made offline and deliver each exactly once when back online', async () => {
    const { a, b, listId } = await t.partners();
    expect((await t.request('POST', `/lists/${listId}/items`, { name: 'Milk' }, a.token)).status).toBe(201);
    const { context, page: ana } = await t.open(a);
    const { page: ben } = await t.open(b);
    const anaSockets = socketsOf(ana);
    await openList(ana, listId);
    await openList(ben, listId);

    await context.setOffline(true);
    await ana.getByRole('status').filter({ hasText: 'You are offline' }).waitFor();
    await addItem(ana, 'Bread');
    await addItem(ana, 'Butter', 250, 'g');
    const offlineAt = Date.now();
    await row(ana, 'Milk').getByRole('checkbox').check();
    await ana.locator('#network', { hasText: '3 changes waiting' }).waitFor();
    expect(await ana.locator('li.item.pending').count()).toBe(3);
    expect(await shownNames(ana, 'to-buy')).toEqual(['Bread', 'Butter']);
    await screenshot(ana, 'offline');
    // Nothing reached the server while offline.
    expect((await t.list(a, listId)).items.map((item) => [item.name, item.checked])).toEqual([['Milk', false]]);

    await context.setOffline(false);
    await row(ben, 'Bread').waitFor({ timeout: 5000 });
    await row(ben, 'Butter').waitFor({ timeout: 5000 });
    await ben.locator('#in-cart li.item[data-name="Milk"]').waitFor({ timeout: 5000 });
    await ana.locator('#network').waitFor({ state: 'hidden' });
    // Sync point: an add made after coming back has arrived, so any duplicate would have too.
    await addItem(ana, 'Sync');
    await row(ben, 'Sync').waitFor({ timeout: 2000 });
    expect(await shownNames(ben, 'to-buy')).toEqual(['Bread', 'Butter', 'Sync']);
    expect(await shownNames(ana, 'to-buy')).toEqual(['Bread', 'Butter', 'Sync']);

    const list = await t.list(a, listId);
    expect(list.items.map((item) => [item.name, item.quantity, item.unit, item.checked]).sort()).toEqual([
      ['Bread', 1, '×', false],
      ['Butter', 250, 'g', false],
      ['Milk', 1, '×', true],
      ['Sync', 1, '×', false],
    ]);
    // The offline check keeps the time it happened, not the time it was sent.
    const milk = list.items.find((item) => item.name === 'Milk')!;
    expect(Date.parse(milk.checkedAt!)).toBeLessThanOrEqual(offlineAt + 1000);
    // It reconnected with the seq it had seen, not from scratch.
    expect(anaSockets.length).toBeGreaterThanOrEqual(2);
    const resumedFrom = Number(/since=(\d+)$/.exec(anaSockets[anaSockets.length - 1])![1]);
    expect(resumedFrom).toBeGreaterThanOrEqual(Number(/since=(\d+)$/.exec(anaSockets[0])![1]));
  });

  it('should drop an add the server refuses, saying why, instead of retrying it forever', async () => {
    const a = await t.register('Ana');
    const listId = a.listIds[0];
    const refused = await t.request<{ message: string }>(
      'POST',
      `/lists/${listId}/items`,
      { name: 'Flour', quantity: 1.2345, unit: 'kg' },
      a.token,
    );
    expect(refused.status).toBe(400);
    const { page } = await t.open(a);
    await openList(page, listId);
    await addItem(page, 'Flour', 1.2345, 'kg');
    await page.locator('#toast', { hasText: `"Flour" was not added: ${refused.body.message}` }).waitFor();
    expect(await page.locator('li.item[data-name="Flour"]').count()).toBe(0);
    await screenshot(page, 'refused-add');
    expect(await page.locator('#network').isHidden()).toBe(true);
    expect(await page.evaluate(() => localStorage.getItem('cartsync.outbox'))).toBe('[]');
    expect((await t.list(a, listId)).items).toEqual([]);
  });

  it('should resume from the last seq it saw after losing the connection, replaying what it missed once', async () => {
    const { a, b, listId } = await t.partners();
    const { context, page: ana } = await t.open(a);
    const anaSockets = socketsOf(ana);
    await openList(ana, listId);
    expect((await t.request('POST', `/lists/${listId}/items`, { name: 'Tea' }, b.token)).status).toBe(201);
    await row(ana, 'Tea').waitFor({ timeout: 1000 });
    const seen = (await t.list(a, listId)).seq;

    await context.setOffline(true);
    await ana.locator('main[data-live="disconnected"]').waitFor();
    expect((await t.request('POST', `/lists/${listId}/items`, { name: 'Jam' }, b.token)).status).toBe(201);
    await context.setOffline(false);
    await row(ana, 'Jam').waitFor({ timeout: 2000 });

    expect(anaSockets).toHaveLength(2);
    expect(new URL(anaSockets[1]).searchParams.get('since')).toBe(String(seen));
    // Sync point: a later add arrived after the replay, so a duplicate Jam would be shown by now.
    expect((await t.request('POST', `/lists/${listId}/items`, { name: 'Rice' }, b.token)).status).toBe(201);
    await row(ana, 'Rice').waitFor({ timeout: 1000 });
    expect(await shownNames(ana, 'to-buy')).toEqual(['Tea', 'Jam', 'Rice']);
    await screenshot(ana, 'resumed');
  });

  it("should walk the list in the store's learned order, complete the trip with a receipt and list it", async () => {
    const { a, b, listId } = await t.partners();
    const store = await t.request<{ id: string }>('POST', `/lists/${listId}/stores`, { name: 'Corner Shop' }, a.token);
    expect(store.status).toBe(201);
    const taught = await t.request<{ learnedOrder: Record<string, number> }>(
      'POST',
      `/lists/${listId}/stores/${store.body.id}/order`,
      { order: ['Apples', 'Bread', 'Cheese', 'Detergent'] },
      a.token,
    );
    expect(taught.status).toBe(200);
    for (const name of ['Detergent', 'Cheese', 'Apples', 'Bread']) {
      expect((await t.request('POST', `/lists/${listId}/items`, { name }, a.token)).status).toBe(201);
    }
    const { page } = await t.open(a, { width: 390, height: 844 });
    await openList(page, listId, '/shop');
    await page.getByLabel('Shopping at').selectOption({ label: 'Corner Shop' });
    await page.locator('#to-buy li.item .badge').first().waitFor();
    expect(await shownNames(page, 'to-buy')).toEqual(['Apples', 'Bread', 'Cheese', 'Detergent']);
    expect(await page.locator('#to-buy .badge').allTextContents()).toEqual(['1', '2', '3', '4']);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'shopping');

    await row(page, 'Apples').getByRole('checkbox').check();
    await row(page, 'Bread').getByRole('checkbox').check();
    await page.locator('#in-cart li.item:not(.pending)').nth(1).waitFor();
    const receipt = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#c81e1e' } })
      .png()
      .toBuffer();
    await page.setInputFiles('#receipt', { name: 'receipt.png', mimeType: 'image/png', buffer: receipt });
    const { page: ben } = await t.open(b);
    await openList(ben, listId);
    await ben.locator('#in-cart li.item[data-name="Bread"]').waitFor();
    await page.getByRole('button', { name: 'Complete trip' }).click();
    await page.locator('#trips li[data-trip-id]').waitFor();
    expect(await page.locator('#trips li[data-trip-id] .trip-summary').textContent()).toBe('Corner Shop · 2 items');
    // The partner's list drops what was bought (trip:completed), the rest stays.
    await ben.locator('#in-cart li.empty').waitFor({ timeout: 2000 });
    expect(await shownNames(ben, 'to-buy')).toEqual(['Detergent', 'Cheese']);
    // The signed receipt link opens in the page (same origin, allowed by the CSP's img-src).
    await page.waitForFunction(() => {
      const image = document.querySelector<HTMLImageElement>('#trips img');
      return image?.complete === true && image.naturalWidth === 40;
    });
    expect(await shownNames(page, 'to-buy')).toEqual(['Cheese', 'Detergent']);
    await screenshot(page, 'trip-completed');

    const trips = await t.request<{ itemCount: number; storeName: string; receiptUrl: string }[]>(
      'GET',
      `/lists/${listId}/trips`,
      undefined,
      a.token,
    );
    expect(trips.body).toHaveLength(1);
    expect(trips.body[0]).toMatchObject({ itemCount: 2, storeName: 'Corner Shop' });
    expect(trips.body[0].receiptUrl).toEqual(expect.any(String));
  });

  it('should show suggestions with their reason and add one with one tap', async () => {
    const { a, listId } = await t.partners();
    const coffee = await t.request<{ id: string }>(
      'POST',
      `/lists/${listId}/items`,
      { name: 'Coffee', unit: 'bag' },
      a.token,
    );
    expect(
      (await t.request('PATCH', `/lists/${listId}/items/${coffee.body.id}`, { checked: true }, a.token)).status,
    ).toBe(200);
    expect((await t.request('POST', `/lists/${listId}/trips`, {}, a.token)).status).toBe(201);
    const suggestions = await t.request<{ name: string; reason: string }[]>(
      'GET',
      `/lists/${listId}/suggestions`,
      undefined,
      a.token,
    );
    expect(suggestions.body.map((suggestion) => suggestion.name)).toEqual(['Coffee']);
    expect(suggestions.body[0].reason).toMatch(/^Bought once/);

    const { page } = await t.open(a);
    await openList(page, listId);
    const suggestion = page.locator('#suggestions li[data-name="Coffee"]');
    expect(await suggestion.locator('.reason').textContent()).toBe(suggestions.body[0].reason);
    await suggestion.getByRole('button', { name: 'Add Coffee' }).click();
    await page.locator('#to-buy li.item[data-name="Coffee"]:not(.pending)').waitFor();
    expect(await page.locator('#to-buy li.item[data-name="Coffee"] .qty').textContent()).toBe('1 bag');
    expect(await suggestion.count()).toBe(0);
    await screenshot(page, 'suggestion-added');
    expect((await t.list(a, listId)).items.map((item) => [item.name, item.unit])).toEqual([['Coffee', 'bag']]);
  });
});

async function token(page: Page): Promise<string> {
  return (await page.evaluate(() => localStorage.getItem('cartsync.token')))!;
}

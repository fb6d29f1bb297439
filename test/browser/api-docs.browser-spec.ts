import { BrowserHarness, screenshot } from './support/harness';

/** The OpenAPI explorer at /docs works from a browser: authorize with a token, run a request. */
describe('the API docs at /docs', () => {
  const t = new BrowserHarness();

  beforeAll(() => t.start(), 60_000);
  afterAll(() => t.stop());
  afterEach(() => t.closeContexts());

  it('should authorize with a token and run GET /auth/me from the page, answering 200 with the user', async () => {
    const ana = await t.register('Ana');
    const { page } = await t.open();
    await page.goto('/docs');
    await page.getByRole('button', { name: 'Authorize' }).first().click();
    await page.locator('.modal-ux input').first().fill(ana.token);
    await page.locator('.modal-ux button.modal-btn.authorize').click();
    await page.locator('.modal-ux button.btn-done').click();

    const operation = page.locator('#operations-auth-AuthController_me');
    await operation.locator('.opblock-summary').first().click();
    await operation.getByRole('button', { name: 'Try it out' }).click();
    await operation.getByRole('button', { name: 'Execute' }).click();
    const response = operation.locator('.live-responses-table .response').first();
    await response.waitFor();
    expect((await response.locator('.response-col_status').textContent())?.trim()).toBe('200');
    const body = JSON.parse((await response.locator('.microlight, pre code').first().textContent()) ?? 'null') as {
      id: string;
      email: string;
    };
    expect(body).toMatchObject({ id: ana.user.id, email: ana.user.email });
    await screenshot(page, 'api-docs');
  });
});

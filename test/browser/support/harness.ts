import AxeBuilder from '@axe-core/playwright';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import { freePort } from '../../../src/common/net/ports';
import { jsonRequest } from '../../support/server-process';
import { ServerProcess } from '../../support/server-process';

const ROOT = resolve(__dirname, '../../..');
export const ARTIFACTS = join(ROOT, 'test/browser/artifacts');
/** Resolves to the test server in this chromium: a host that is not a secure context over http. */
export const LAN_HOST = 'cartsync.test';

/** Debian's chromium: CHROMIUM_PATH, else whatever `chromium` is on PATH. Never a downloaded one. */
export function chromiumPath(): string {
  const configured = process.env.CHROMIUM_PATH;
  if (configured) return configured;
  try {
    return execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], {
      encoding: 'utf8',
    }).trim();
  } catch {
    throw new Error('No chromium found: install it (apt-get install chromium) or set CHROMIUM_PATH.');
  }
}

export interface Account {
  token: string;
  user: { id: string; email: string; name: string };
  listIds: string[];
}

export interface ListBody {
  id: string;
  name: string;
  inviteCode: string;
  seq: number;
  items: {
    id: string;
    name: string;
    quantity: number;
    unit: string;
    checked: boolean;
    checkedBy?: string;
    checkedAt?: string;
  }[];
}

/**
 * One built server process on a database of its own, and one chromium, for a browser spec file.
 * The server is `dist/` as `npm run test:browser` built it (the web client included).
 */
export class BrowserHarness {
  server!: ServerProcess;
  browser!: Browser;
  private dataDir!: string;
  private readonly contexts: BrowserContext[] = [];
  /** Uncaught errors of any page (a test expects none). */
  readonly pageErrors: string[] = [];

  get base(): string {
    return `http://127.0.0.1:${this.server.port}`;
  }

  async start(): Promise<void> {
    if (!existsSync(join(ROOT, 'dist/web/index.html')) || !existsSync(join(ROOT, 'dist/src/main.js'))) {
      throw new Error('dist/ has no built server and web client: run `npm run test:browser` (it builds first).');
    }
    await mkdir(ARTIFACTS, { recursive: true });
    const name = `cartsync_browser_${process.env.JEST_WORKER_ID ?? '1'}`;
    const admin = new Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(process.env.TEST_DATABASE_URL!);
    url.pathname = `/${name}`;
    this.dataDir = await mkdtemp(join(tmpdir(), 'cartsync-browser-'));
    const port = await freePort('127.0.0.1');
    this.server = ServerProcess.start({
      DATA_DIR: this.dataDir,
      PORT: port,
      // Signed receipt links point at the origin the browser uses (img-src 'self').
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      DATABASE_URL: url.toString(),
      LOG_LEVEL: 'warn',
      REGISTER_MAX_PER_IP: 10_000,
      WS_HANDSHAKES_PER_MIN: 10_000,
    });
    this.browser = await chromium.launch({
      executablePath: chromiumPath(),
      // As root (CI containers) chromium refuses to start with its sandbox.
      args: [
        ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
        // A name that is not loopback, as a phone on the LAN sees the server (plain http).
        `--host-resolver-rules=MAP ${LAN_HOST} 127.0.0.1`,
      ],
    });
    await this.server.ready();
  }

  async stop(): Promise<void> {
    await this.browser?.close();
    await ServerProcess.killAll();
    if (this.dataDir) await rm(this.dataDir, { recursive: true, force: true });
  }

  /** Closes the pages of the last test. */
  async closeContexts(): Promise<void> {
    await Promise.all(this.contexts.splice(0).map((context) => context.close()));
  }

  /** A fresh browser profile (its own localStorage), signed in as `account` when given. */
  async open(
    account?: Account,
    viewport = { width: 1100, height: 900 },
  ): Promise<{ context: BrowserContext; page: Page }> {
    const context = await this.browser.newContext({ baseURL: this.base, viewport });
    this.contexts.push(context);
    // Fail fast and clearly: nothing on these pages should take seconds.
    context.setDefaultTimeout(5000);
    context.on('weberror', (error) => this.pageErrors.push(String(error.error())));
    if (account) {
      // Only on the first load of this profile: a later sign-out must stay signed out.
      await context.addInitScript((token: string) => {
        if (!sessionStorage.getItem('test-seeded')) {
          sessionStorage.setItem('test-seeded', '1');
          localStorage.setItem('cartsync.token', token);
        }
      }, account.token);
    }
    const page = await context.newPage();
    return { context, page };
  }

  request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    token?: string,
  ): Promise<{ status: number; body: T }> {
    return jsonRequest<T>(this.base, method, path, body, token);
  }

  async register(name: string): Promise<Account> {
    const email = `${name.toLowerCase()}-${randomUUID().slice(0, 8)}@example.com`;
    const response = await this.request<Account>('POST', '/auth/register', {
      email,
      password: 'correct horse battery',
      name,
    });
    expect(response.status).toBe(201);
    return response.body;
  }

  /** Two partners on `a`'s first list. */
  async partners(): Promise<{ a: Account; b: Account; listId: string }> {
    const a = await this.register('Ana');
    const b = await this.register('Ben');
    const listId = a.listIds[0];
    const list = await this.list(a, listId);
    expect((await this.request('POST', '/lists/join', { inviteCode: list.inviteCode }, b.token)).status).toBe(200);
    return { a, b, listId };
  }

  async list(account: Account, listId: string): Promise<ListBody> {
    const response = await this.request<ListBody>('GET', `/lists/${listId}`, undefined, account.token);
    expect(response.status).toBe(200);
    return response.body;
  }
}

/** Serious and critical axe-core violations on the page as it is now, as readable lines. */
export async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${violation.id} (${violation.impact}): ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`,
    );
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** The item rows of a section (`to-buy` or `in-cart`) by name, in the order shown. */
export async function shownNames(page: Page, section: 'to-buy' | 'in-cart'): Promise<string[]> {
  return page.locator(`#${section} li.item .name`).allTextContents();
}

/** Waits until the list page of `listId` shows, with its live socket connected. */
export async function openList(page: Page, listId: string, view: '' | '/shop' = ''): Promise<void> {
  await page.goto(`/#/lists/${listId}${view}`);
  await page.locator('main[data-live="connected"]').waitFor();
  await page.locator('#presence', { hasText: 'Here now:' }).waitFor();
}

export async function addItem(page: Page, name: string, quantity?: number, unit?: string): Promise<void> {
  await page.getByLabel('Item', { exact: true }).fill(name);
  if (quantity !== undefined) await page.getByLabel('Quantity', { exact: true }).fill(String(quantity));
  if (unit !== undefined) await page.getByLabel('Unit', { exact: true }).fill(unit);
  await page.getByRole('button', { name: 'Add', exact: true }).click();
}

export function row(page: Page, name: string) {
  return page.locator(`li.item[data-name="${name}"]`);
}

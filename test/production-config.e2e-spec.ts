import { Client } from 'pg';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../src/common/net/ports';
import { buildServer, ServerProcess } from './support/server-process';

/** `npm start` with NODE_ENV=production: what it refuses, and what it serves once configured. */
describe('a server process with NODE_ENV=production', () => {
  let dataDir: string;
  let databaseUrl: string;

  beforeAll(async () => {
    await buildServer();
    // A database of its own on the run's PostgreSQL: the server migrates it at boot.
    const admin = new Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
    const name = `cartsync_production_${process.env.JEST_WORKER_ID ?? '1'}`;
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(process.env.TEST_DATABASE_URL!);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
  }, 180_000);

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cartsync-production-'));
  });

  afterEach(async () => {
    await ServerProcess.killAll();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function production(env: Record<string, string>): Promise<ServerProcess> {
    return ServerProcess.start({
      DATA_DIR: dataDir,
      PORT: await freePort('127.0.0.1'),
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl,
      JWT_SECRET: 'a-production-secret-of-at-least-32-bytes',
      ...env,
    });
  }

  it('should refuse to start without PUBLIC_URL and SMTP_URL, name both, and exit with 1', async () => {
    const server = await production({});
    expect(await server.exited).toEqual({ code: 1, signal: null });
    const output = server.output();
    expect(output).toContain('CartSync failed to start: Invalid configuration:');
    expect(output).toContain('  - PUBLIC_URL: required in production');
    expect(output).toContain('  - SMTP_URL: required in production');
    expect(output).not.toMatch(/DATABASE_URL|JWT_SECRET/);
  });

  it('should refuse a plain-http PUBLIC_URL and an SMTP_URL that is not one, without printing its password', async () => {
    const server = await production({ PUBLIC_URL: 'http://cartsync.example.com', SMTP_URL: 'mail:hunter2@smtp' });
    expect(await server.exited).toEqual({ code: 1, signal: null });
    const output = server.output();
    expect(output).toContain('  - PUBLIC_URL: must use https in production (http only for localhost)');
    expect(output).toContain('  - SMTP_URL: must be an smtp:// or smtps:// URL');
    expect(output).not.toContain('hunter2');
  });

  it('should serve once configured, with no /docs or /docs-json unless SWAGGER_ENABLED=true', async () => {
    const server = await production({ PUBLIC_URL: 'https://cartsync.example.com', SMTP_URL: 'smtp://localhost:2525' });
    await server.ready();
    expect((await server.request('GET', '/health')).status).toBe(200);
    expect((await server.request('GET', '/docs-json')).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${server.port}/docs`)).status).toBe(404);
  });
});

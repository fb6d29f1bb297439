import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedPostgres } from '../../../src/database/embedded-postgres';
import { MAIN, ROOT } from './instance';

declare global {
  var __CARTSYNC_FAULTS_PG__: EmbeddedPostgres | undefined;
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (!entry.name.endsWith('.spec.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * The fault suite runs the built server (`node dist/src/main.js`), so it refuses a missing
 * or stale build. Its PostgreSQL: DATABASE_URL when set, else an embedded cluster in a temp
 * dir (each scenario makes its own database on it; the restart scenario runs its own cluster).
 */
export default async function globalSetup(): Promise<void> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` (npm run test:faults does)`);
  const built = statSync(MAIN).mtimeMs;
  if (Math.max(newestSource(join(ROOT, 'src')), newestSource(join(ROOT, 'migrations'))) > built) {
    throw new Error('dist/ is older than src/: run `npm run build` (npm run test:faults does)');
  }
  const runId = randomUUID();
  process.env.FAULTS_RUN_ID = runId;
  process.env.FAULTS_RUN_DIR = await mkdtemp(join(tmpdir(), 'cartsync-faults-'));
  mkdirSync(join(process.env.FAULTS_RUN_DIR, 'pids'), { recursive: true });
  process.env.FAULTS_STARTED_AT = new Date().toISOString();
  if (process.env.DATABASE_URL) {
    process.env.FAULTS_PG_URL = process.env.DATABASE_URL;
    process.env.FAULTS_DATABASE = 'DATABASE_URL';
    return;
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'cartsync-faults-pg-'));
  const cluster = await EmbeddedPostgres.start({ dataDir, port: 0, ephemeral: true, unsafeFast: true });
  globalThis.__CARTSYNC_FAULTS_PG__ = cluster;
  process.env.FAULTS_PG_URL = cluster.url('postgres');
  process.env.FAULTS_DATABASE = 'embedded';
}

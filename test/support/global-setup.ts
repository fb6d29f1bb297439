import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedPostgres } from '../../src/database/embedded-postgres';

declare global {
  var __CARTSYNC_TEST_PG__: EmbeddedPostgres | undefined;
}

/**
 * One PostgreSQL for the whole run: DATABASE_URL when set, otherwise an embedded cluster in
 * a temp dir, removed by the teardown. Each jest worker then uses its own database on it.
 */
export default async function globalSetup(): Promise<void> {
  // Work done once per run by whichever worker needs it first (buildServer).
  process.env.TEST_RUN_ID = randomUUID();
  if (process.env.DATABASE_URL) {
    process.env.TEST_DATABASE_URL = process.env.DATABASE_URL;
    return;
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'cartsync-test-pg-'));
  const cluster = await EmbeddedPostgres.start({ dataDir, port: 0, ephemeral: true, unsafeFast: true });
  globalThis.__CARTSYNC_TEST_PG__ = cluster;
  process.env.TEST_DATABASE_URL = cluster.url('postgres');
}

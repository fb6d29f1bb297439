import { Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { embeddedDatabaseSettings, externalDatabase } from '../config/database.config';
import { EmbeddedPostgres, usableDataDir } from './embedded-postgres';

/**
 * Zero-config start: with no DATABASE_URL / DB_HOST, run PostgreSQL from `<DATA_DIR>/pg`
 * (kept across restarts) and point DATABASE_URL at it before the app reads its config.
 */
export async function startEmbeddedDatabaseIfNeeded(): Promise<EmbeddedPostgres | null> {
  if (externalDatabase()) return null;
  const logger = new Logger('EmbeddedPostgres');
  const settings = embeddedDatabaseSettings();
  let dataDir = settings.dataDir;
  if (!(await usableDataDir(dataDir))) {
    const fallback = join(tmpdir(), `cartsync-pg-${createHash('sha256').update(dataDir).digest('hex').slice(0, 12)}`);
    logger.warn(`the postgres user cannot use ${dataDir}; keeping the database in ${fallback} instead`);
    dataDir = fallback;
  }
  const cluster = await EmbeddedPostgres.start({
    dataDir,
    port: settings.port,
    log: (message) => logger.log(message),
  });
  process.env.DATABASE_URL = await cluster.ensureDatabase('cartsync');
  return cluster;
}

import { Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { existsSync } from 'node:fs';
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
  if (await usableDataDir(dataDir)) {
    warnAboutOldFallback(dataDir, logger);
  } else {
    const fallback = oldFallbackDir(dataDir);
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

/**
 * Where the database goes when the postgres user cannot use `<DATA_DIR>/pg`; before the cluster
 * could be started inside a directory that user cannot reach by its path, also where it went
 * for a checkout under root's 0700 home.
 */
export function oldFallbackDir(dataDir: string): string {
  return join(tmpdir(), `cartsync-pg-${createHash('sha256').update(dataDir).digest('hex').slice(0, 12)}`);
}

/**
 * A cluster an earlier version kept in the temp dir while `<DATA_DIR>/pg` has none: said, never
 * moved (a server may still run on it, and a move could lose it).
 */
function warnAboutOldFallback(dataDir: string, logger: Logger): void {
  const old = oldFallbackDir(dataDir);
  if (existsSync(join(dataDir, 'PG_VERSION')) || !existsSync(join(old, 'PG_VERSION'))) return;
  logger.warn(
    `an earlier start kept this checkout's database in ${old}; it is no longer used (the database is now in ${dataDir}): to keep its data, stop every CartSync server, then replace ${dataDir} with it (rm -rf '${dataDir}' && mv '${old}' '${dataDir}')`,
  );
}

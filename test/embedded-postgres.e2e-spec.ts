import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { EmbeddedPostgres } from '../src/database/embedded-postgres';

async function query(url: string, sql: string): Promise<unknown[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<Record<string, unknown>>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('EmbeddedPostgres (zero-config database)', () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cartsync-embedded-spec-'));
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  it('should keep data across a stop and a restart on the same directory', async () => {
    const first = await EmbeddedPostgres.start({ dataDir, port: 0, unsafeFast: true });
    const url = await first.ensureDatabase('keep');
    await query(url, `CREATE TABLE t (v text); INSERT INTO t VALUES ('kept')`);
    await first.stop();
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);

    const second = await EmbeddedPostgres.start({ dataDir, port: 0, unsafeFast: true });
    try {
      await expect(query(await second.ensureDatabase('keep'), 'SELECT v FROM t')).resolves.toEqual([{ v: 'kept' }]);
    } finally {
      await second.stop();
    }
  });

  it('should start over a stale postmaster.pid whose process is gone', async () => {
    const first = await EmbeddedPostgres.start({ dataDir, port: 0, unsafeFast: true });
    await first.stop();
    await writeFile(join(dataDir, 'postmaster.pid'), '999999\n/nowhere\n');
    const again = await EmbeddedPostgres.start({ dataDir, port: 0, unsafeFast: true });
    try {
      await expect(query(again.url(), 'SELECT 1 AS ok')).resolves.toEqual([{ ok: 1 }]);
    } finally {
      await again.stop();
    }
  });

  it('should stop an orphaned server left running on the directory and take over', async () => {
    const orphan = await EmbeddedPostgres.start({ dataDir, port: 0, unsafeFast: true });
    const successor = await EmbeddedPostgres.start({ dataDir, port: 0, unsafeFast: true });
    try {
      await expect(query(orphan.url(), 'SELECT 1')).rejects.toThrow();
      await expect(query(successor.url(), 'SELECT 1 AS ok')).resolves.toEqual([{ ok: 1 }]);
    } finally {
      await successor.stop();
      await orphan.stop();
    }
  });

  it('should remove an ephemeral cluster on stop', async () => {
    const cluster = await EmbeddedPostgres.start({ dataDir, port: 0, ephemeral: true, unsafeFast: true });
    await cluster.stop();
    expect(existsSync(dataDir)).toBe(false);
  });
});

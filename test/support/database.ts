import { Client } from 'pg';
import type { TestApp } from './app';

let created: Promise<void> | undefined;

/** Creates this worker's database once (fresh, so a crashed earlier run leaves nothing behind). */
export function ensureWorkerDatabase(): Promise<void> {
  created ??= (async () => {
    const target = new URL(process.env.DATABASE_URL!);
    const name = decodeURIComponent(target.pathname.slice(1));
    const admin = new URL(process.env.TEST_DATABASE_URL!);
    const client = new Client({ connectionString: admin.toString() });
    await client.connect();
    try {
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
    } finally {
      await client.end();
    }
  })();
  return created;
}

/** Renames a table for the duration of `run`, so the app's queries on it genuinely fail. */
export async function withoutTable<T>(t: TestApp, table: string, run: () => Promise<T>): Promise<T> {
  await t.dataSource.query(`ALTER TABLE "${table}" RENAME TO "${table}_hidden_by_test"`);
  try {
    return await run();
  } finally {
    await t.dataSource.query(`ALTER TABLE "${table}_hidden_by_test" RENAME TO "${table}"`);
  }
}

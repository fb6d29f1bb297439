import { Client } from 'pg';

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

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { EmbeddedPostgres } from '../../../src/database/embedded-postgres';
import type { DbSnapshot } from './history';

export interface DatabaseAddress {
  host: string;
  port: number;
}

/** The suite's PostgreSQL (DATABASE_URL, or the cluster its global setup started): the URL of its `postgres` database. */
export function suiteServerUrl(): string {
  const url = process.env.FAULTS_PG_URL;
  if (!url) throw new Error('FAULTS_PG_URL is not set: run the suite with `npm run test:faults`');
  return url;
}

export function addressOf(url: string): DatabaseAddress {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port || 5432) };
}

/** `url` for another database on the same server, optionally reached through another address (a proxy). */
export function databaseUrl(serverUrl: string, database: string, via?: DatabaseAddress): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  if (via) {
    url.hostname = via.host;
    url.port = String(via.port);
  }
  return url.toString();
}

async function withClient<T>(url: string, run: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A fresh, empty database for one scenario (dropped first if a previous run left it). */
export async function freshDatabase(serverUrl: string, database: string): Promise<string> {
  await withClient(serverUrl, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(database)} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  });
  return databaseUrl(serverUrl, database);
}

export async function dropDatabase(serverUrl: string, database: string): Promise<void> {
  await withClient(serverUrl, (client) =>
    client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(database)} WITH (FORCE)`),
  ).catch(() => undefined);
}

/** Ends the backends of `application_name` whose client port is one of `clientPorts` (one proxy's connections). */
export async function terminateBackends(url: string, applicationName: string, clientPorts: number[]): Promise<number> {
  if (clientPorts.length === 0) return 0;
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ ended: boolean }>(
      `SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity
        WHERE datname = current_database() AND application_name = $1 AND client_port = ANY($2::int[])`,
      [applicationName, clientPorts],
    );
    return rows.filter((r) => r.ended).length;
  });
}

/** What the checker compares the history with: the list, its items and its whole event log. */
export async function snapshot(url: string, listId: string): Promise<DbSnapshot> {
  return withClient(url, async (client) => {
    const list = await client.query<{ id: string; name: string; seq: string }>(
      'SELECT id, name, seq FROM lists WHERE id = $1',
      [listId],
    );
    const items = await client.query<{ id: string; name: string; checked: boolean; note: string | null }>(
      'SELECT id, name, checked, note FROM items WHERE list_id = $1 ORDER BY created_at, id',
      [listId],
    );
    const events = await client.query<{ seq: string; type: string; payload: unknown }>(
      'SELECT seq, type, payload FROM list_events WHERE list_id = $1 ORDER BY seq',
      [listId],
    );
    const row = list.rows[0];
    return {
      list: { id: row.id, name: row.name, seq: Number(row.seq) },
      items: items.rows,
      events: events.rows.map((e) => ({ seq: Number(e.seq), type: e.type, payload: e.payload })),
    };
  });
}

/** The list's head seq, read directly. */
export async function headSeq(url: string, listId: string): Promise<number> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ seq: string }>('SELECT seq FROM lists WHERE id = $1', [listId]);
    return Number(rows[0].seq);
  });
}

/**
 * An embedded cluster the scenario owns, so it can stop it and start it again on the same
 * data directory and port (a database restart); removed by `dispose`.
 */
export class RestartableCluster {
  private constructor(
    private readonly dataDir: string,
    private cluster: EmbeddedPostgres | null,
    private lastPort: number,
  ) {}

  static async start(): Promise<RestartableCluster> {
    const dataDir = await mkdtemp(join(tmpdir(), 'cartsync-faults-restart-'));
    const cluster = await EmbeddedPostgres.start({ dataDir, port: 0, unsafeFast: true });
    return new RestartableCluster(dataDir, cluster, cluster.port);
  }

  get address(): DatabaseAddress {
    return { host: '127.0.0.1', port: this.lastPort };
  }

  serverUrl(): string {
    return `postgres://postgres@127.0.0.1:${this.lastPort}/postgres`;
  }

  /** Fast shutdown: every connection is ended, new ones are refused. */
  async stop(): Promise<void> {
    await this.cluster?.stop();
    this.cluster = null;
  }

  /** Starts it again on the same directory, on the same port when it is free; returns the address. */
  async start(): Promise<DatabaseAddress> {
    this.cluster = await EmbeddedPostgres.start({ dataDir: this.dataDir, port: this.lastPort, unsafeFast: true });
    this.lastPort = this.cluster.port;
    return this.address;
  }

  async dispose(): Promise<void> {
    await this.stop();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}

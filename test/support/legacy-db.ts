import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { photo } from './receipts';

// bcrypt ships no types (the legacy-auth work may add them); the fixture needs one call.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const bcrypt = require('bcrypt') as { hash(data: string, rounds: number): Promise<string> };

/**
 * An old-server (rafikus/cartsync-backend) database for the import tests: its schema written
 * from the description (text ids, NUMERIC quantities, no roles), in its own database
 * on the test PostgreSQL. The member and item foreign keys are left out so the corrupt rows
 * the old server could hold after manual edits (a member of a deleted user) can be made.
 */
export const LEGACY_SCHEMA = `
  CREATE TABLE users (id text PRIMARY KEY, email text NOT NULL UNIQUE, name text NOT NULL,
                      password_hash text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
  CREATE TABLE lists (id text PRIMARY KEY, name text NOT NULL, invite_code text NOT NULL UNIQUE,
                      created_at timestamptz NOT NULL DEFAULT now());
  CREATE TABLE list_members (list_id text NOT NULL, user_id text NOT NULL,
                             joined_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (list_id, user_id));
  CREATE TABLE items (id text PRIMARY KEY, list_id text NOT NULL, name text NOT NULL,
                      quantity numeric NOT NULL DEFAULT 1, unit text NOT NULL DEFAULT '×',
                      checked boolean NOT NULL DEFAULT false, checked_by text, checked_at timestamptz,
                      added_by text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
  CREATE TABLE stores (id text PRIMARY KEY, list_id text NOT NULL, name text NOT NULL,
                       trip_count int NOT NULL DEFAULT 0, created_at timestamptz NOT NULL DEFAULT now(),
                       UNIQUE (list_id, name));
  CREATE TABLE store_order_entries (store_id text NOT NULL, item_name text NOT NULL, avg_pos numeric NOT NULL,
                                    samples int NOT NULL DEFAULT 1, PRIMARY KEY (store_id, item_name));
  CREATE TABLE trips (id text PRIMARY KEY, list_id text NOT NULL, store_id text, store_name text,
                      completed_by text NOT NULL, completed_at timestamptz NOT NULL DEFAULT now(),
                      item_count int NOT NULL DEFAULT 0, receipt_url text);
  CREATE TABLE trip_items (trip_id text NOT NULL, name text NOT NULL, quantity numeric NOT NULL, unit text NOT NULL);
  CREATE TABLE password_reset_tokens (id text PRIMARY KEY, user_id text NOT NULL, token_hash text NOT NULL,
                                      expires_at timestamptz NOT NULL);
`;

/** Ids and secrets of the households the fixture writes (ids upper-cased where the old server had them so). */
export const OLD = {
  password: 'old-password-1',
  anna: { id: 'A1111111-1111-4111-8111-111111111111', email: 'Anna@Example.com' },
  ben: { id: '22222222-2222-4222-8222-222222222222', email: 'ben@example.com' },
  /** A non-UUID id (an import from yet another app, by hand). */
  cleo: { id: 'user-cleo', email: 'cleo@example.com' },
  /** Differs from anna's email only in case, created later: reported, not imported. */
  annaTwin: { id: '33333333-3333-4333-8333-333333333333', email: 'ANNA@example.com ' },
  home: '44444444-4444-4444-8444-444444444444',
  flat: '55555555-5555-4555-8555-555555555555',
  milk: '66666666-6666-4666-8666-666666666661',
  bread: '66666666-6666-4666-8666-666666666662',
  eggs: '66666666-6666-4666-8666-666666666663',
  /** quantity -2: fixed to 1, reported. */
  broken: '66666666-6666-4666-8666-666666666664',
  tea: '66666666-6666-4666-8666-666666666665',
  lidl: '77777777-7777-4777-8777-777777777777',
  /** Learned order of Lidl as the old server had it (avg_pos, samples). */
  lidlOrder: [
    ['Apples', '1.5', 30],
    ['Bread', '2.25', 25],
    ['Milk', '4', 35],
    ['Eggs', '6.8', 40],
  ] as const,
  tripOld: '88888888-8888-4888-8888-888888888881',
  tripNew: '88888888-8888-4888-8888-888888888882',
  tripMissing: '88888888-8888-4888-8888-888888888883',
  /** Its receipt file is text named .jpg: rejected by the receipt pipeline, reported. */
  tripFake: '88888888-8888-4888-8888-888888888884',
  ghost: '99999999-9999-4999-8999-999999999999',
};

export interface LegacyDb {
  url: string;
  uploads: string;
  drop(): Promise<void>;
}

export async function createLegacyDb(): Promise<LegacyDb> {
  const admin = new URL(process.env.TEST_DATABASE_URL!);
  const name = `legacy_${randomBytes(6).toString('hex')}`;
  const server = new Client({ connectionString: admin.toString() });
  await server.connect();
  await server.query(`CREATE DATABASE ${name}`);
  await server.end();
  const url = new URL(admin.toString());
  url.pathname = `/${name}`;
  const db = new Client({ connectionString: url.toString() });
  await db.connect();
  try {
    await db.query(LEGACY_SCHEMA);
    const hash = await bcrypt.hash(OLD.password, 10);
    const users = [
      [OLD.anna, 'Anna', '2024-01-01T10:00:00Z'],
      [OLD.ben, 'Ben', '2024-01-02T10:00:00Z'],
      [OLD.cleo, 'Cleo', '2024-01-03T10:00:00Z'],
      [OLD.annaTwin, 'Anna again', '2024-02-01T10:00:00Z'],
    ] as const;
    for (const [user, display, at] of users) {
      await db.query(`INSERT INTO users VALUES ($1, $2, $3, $4, $5)`, [user.id, user.email, display, hash, at]);
    }
    await db.query(
      `INSERT INTO lists VALUES ($1, 'Home', 'ABC123', '2024-01-01T10:01:00Z'), ($2, 'Flat', 'XYZ789', '2024-01-03T11:00:00Z')`,
      [OLD.home, OLD.flat],
    );
    await db.query(
      `INSERT INTO list_members VALUES ($1, $3, '2024-01-02T11:00:00Z'), ($1, $2, '2024-01-01T10:01:00Z'),
                                       ($4, $5, '2024-01-03T11:00:00Z'), ($4, $2, '2024-01-04T11:00:00Z'),
                                       ($4, $6, '2024-01-05T11:00:00Z')`,
      [OLD.home, OLD.anna.id, OLD.ben.id, OLD.flat, OLD.cleo.id, OLD.ghost],
    );
    await db.query(
      `INSERT INTO items VALUES
        ($1, $6, 'Milk', 2, 'l', true, $8, '2024-03-01T09:00:00Z', $7, '2024-02-28T09:00:00Z'),
        ($2, $6, 'Bread', 1, '×', false, NULL, NULL, $8, '2024-02-28T09:01:00Z'),
        ($3, $6, 'Eggs', 12, '×', false, NULL, NULL, $7, '2024-02-28T09:02:00Z'),
        ($4, $6, 'Butter', -2, '×', false, NULL, NULL, $7, '2024-02-28T09:03:00Z'),
        ($5, $9, 'Tea', 1.5, 'kg', false, NULL, NULL, $10, '2024-02-28T09:04:00Z')`,
      [OLD.milk, OLD.bread, OLD.eggs, OLD.broken, OLD.tea, OLD.home, OLD.anna.id, OLD.ben.id, OLD.flat, OLD.cleo.id],
    );
    await db.query(`INSERT INTO stores VALUES ($1, $2, 'Lidl', 7, '2024-01-10T10:00:00Z')`, [OLD.lidl, OLD.home]);
    for (const [item, avg, samples] of OLD.lidlOrder) {
      await db.query(`INSERT INTO store_order_entries VALUES ($1, $2, $3, $4)`, [OLD.lidl, item, avg, samples]);
    }
    const uploads = await mkdtemp(join(tmpdir(), 'legacy-uploads-'));
    await writeFile(join(uploads, 'receipt-old.png'), await photo('png'));
    await writeFile(join(uploads, 'fake.jpg'), 'not a photo at all');
    await db.query(
      `INSERT INTO trips VALUES
        ($1, $4, $5, 'Lidl', $6, '2024-02-01T18:00:00Z', 2, '/uploads/receipt-old.png'),
        ($2, $4, $5, 'Lidl', $7, '2024-02-15T18:00:00Z', 1, NULL),
        ($3, $4, NULL, 'Corner shop', $6, '2024-02-20T18:00:00Z', 1, '/uploads/missing.jpg'),
        ($8, $4, NULL, NULL, $7, '2024-02-25T18:00:00Z', 0, '/uploads/fake.jpg')`,
      [OLD.tripOld, OLD.tripNew, OLD.tripMissing, OLD.home, OLD.lidl, OLD.anna.id, OLD.ben.id, OLD.tripFake],
    );
    await db.query(
      `INSERT INTO trip_items VALUES ($1, 'Apples', 6, '×'), ($1, 'Milk', 1, 'l'), ($2, 'Bread', 1, '×'), ($3, 'Gum', 0, '×')`,
      [OLD.tripOld, OLD.tripNew, OLD.tripMissing],
    );
    await db.query(`INSERT INTO password_reset_tokens VALUES ($1, $2, 'x', now())`, [randomUUID(), OLD.anna.id]);
    return {
      url: url.toString(),
      uploads,
      drop: async () => {
        const again = new Client({ connectionString: admin.toString() });
        await again.connect();
        await again.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await again.end();
      },
    };
  } finally {
    await db.end();
  }
}

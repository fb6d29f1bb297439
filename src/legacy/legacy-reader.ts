import { Pool } from 'pg';

/** Rows of the old server's database (rafikus/cartsync-backend, migrations 001), as read. */
export interface LegacyUser {
  id: string;
  email: string;
  name: string;
  passwordHash: string;
  createdAt: Date;
}
export interface LegacyList {
  id: string;
  name: string;
  createdAt: Date;
}
export interface LegacyMember {
  listId: string;
  userId: string;
  joinedAt: Date;
}
export interface LegacyItem {
  id: string;
  listId: string;
  name: string;
  /** NUMERIC, as text: it may not fit (or be) a positive double. */
  quantity: string;
  unit: string;
  checked: boolean;
  checkedBy: string | null;
  checkedAt: Date | null;
  addedBy: string | null;
  createdAt: Date;
}
export interface LegacyStore {
  id: string;
  listId: string;
  name: string;
  tripCount: number;
  createdAt: Date;
}
export interface LegacyOrderEntry {
  storeId: string;
  itemName: string;
  avgPos: string;
  samples: number;
}
export interface LegacyTrip {
  id: string;
  listId: string;
  storeId: string | null;
  storeName: string | null;
  completedBy: string | null;
  completedAt: Date;
  itemCount: number;
  receiptUrl: string | null;
}
export interface LegacyTripItem {
  tripId: string;
  name: string;
  quantity: string;
  unit: string;
}

/** Everything the import takes from the old database (password reset tokens are short-lived: left). */
export interface LegacySnapshot {
  users: LegacyUser[];
  lists: LegacyList[];
  members: LegacyMember[];
  items: LegacyItem[];
  stores: LegacyStore[];
  orderEntries: LegacyOrderEntry[];
  trips: LegacyTrip[];
  tripItems: LegacyTripItem[];
}

/**
 * Reads the old server's database, and only reads: its own pool, every session read-only
 * (`default_transaction_read_only`), the whole snapshot in one REPEATABLE READ transaction so
 * the tables agree with each other even if the old server was not fully stopped.
 */
export class LegacyReader {
  private readonly pool: Pool;

  constructor(url: string) {
    this.pool = new Pool({ connectionString: url, max: 1, options: '-c default_transaction_read_only=on' });
  }

  async read(): Promise<LegacySnapshot> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const q = async <T>(sql: string): Promise<T[]> => (await client.query(sql)).rows as T[];
      const snapshot: LegacySnapshot = {
        users: await q(
          `SELECT id, email, name, password_hash AS "passwordHash", created_at AS "createdAt" FROM users ORDER BY created_at, id`,
        ),
        lists: await q(`SELECT id, name, created_at AS "createdAt" FROM lists ORDER BY created_at, id`),
        members: await q(
          `SELECT list_id AS "listId", user_id AS "userId", joined_at AS "joinedAt" FROM list_members ORDER BY joined_at, user_id`,
        ),
        items: await q(
          `SELECT id, list_id AS "listId", name, quantity::text AS quantity, unit, checked, checked_by AS "checkedBy",
                  checked_at AS "checkedAt", added_by AS "addedBy", created_at AS "createdAt"
             FROM items ORDER BY created_at, id`,
        ),
        stores: await q(
          `SELECT id, list_id AS "listId", name, trip_count AS "tripCount", created_at AS "createdAt" FROM stores ORDER BY created_at, id`,
        ),
        orderEntries: await q(
          `SELECT store_id AS "storeId", item_name AS "itemName", avg_pos::text AS "avgPos", samples
             FROM store_order_entries ORDER BY store_id, avg_pos, item_name`,
        ),
        trips: await q(
          `SELECT id, list_id AS "listId", store_id AS "storeId", store_name AS "storeName", completed_by AS "completedBy",
                  completed_at AS "completedAt", item_count AS "itemCount", receipt_url AS "receiptUrl"
             FROM trips ORDER BY completed_at, id`,
        ),
        tripItems: await q(
          `SELECT trip_id AS "tripId", name, quantity::text AS quantity, unit FROM trip_items ORDER BY trip_id, ctid`,
        ),
      };
      await client.query('COMMIT');
      return snapshot;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

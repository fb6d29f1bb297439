import type { TestApp } from '../app';
import type { Registered } from '../factories';

/**
 * Cheap checks of the whole database that no sequence of requests may break. Each query
 * returns the offending rows; an empty result is a pass.
 */
const INVARIANTS: Record<string, string> = {
  'every list has exactly one owner among its members': `
    SELECT l.id FROM lists l
    LEFT JOIN list_members m ON m.list_id = l.id AND m.role = 'owner'
    GROUP BY l.id HAVING count(m.user_id) <> 1`,
  'every list’s event log is 1..seq without gaps': `
    SELECT l.id, l.seq, count(e.seq) AS events, min(e.seq) AS first, max(e.seq) AS last
    FROM lists l LEFT JOIN list_events e ON e.list_id = l.id
    GROUP BY l.id, l.seq
    HAVING count(e.seq) <> l.seq OR (count(e.seq) > 0 AND (min(e.seq) <> 1 OR max(e.seq) <> l.seq))`,
  'an item is checked exactly when it has a check time': `
    SELECT id FROM items WHERE checked <> (checked_at IS NOT NULL)`,
  'a trip counts exactly the items it holds': `
    SELECT t.id FROM trips t LEFT JOIN trip_items i ON i.trip_id = t.id
    GROUP BY t.id, t.item_count HAVING count(i.item_id) <> t.item_count`,
  'a trip’s store is on the trip’s list': `
    SELECT t.id FROM trips t JOIN stores s ON s.id = t.store_id WHERE s.list_id <> t.list_id`,
  'names are trimmed and within the contract’s bounds': `
    SELECT 'list' AS kind, id FROM lists WHERE char_length(name) NOT BETWEEN 1 AND 100 OR name ~ '^\\s|\\s$'
    UNION ALL SELECT 'item', id FROM items
      WHERE char_length(name) NOT BETWEEN 1 AND 200 OR name ~ '^\\s|\\s$' OR char_length(unit) > 32
    UNION ALL SELECT 'store', id FROM stores WHERE char_length(name) NOT BETWEEN 1 AND 100 OR name ~ '^\\s|\\s$'
    UNION ALL SELECT 'user', id FROM users WHERE char_length(name) NOT BETWEEN 1 AND 100 OR email <> lower(email)`,
  'a WebSocket ticket belongs to a member of its list': `
    SELECT k.ticket_hash FROM ws_tickets k
    WHERE NOT EXISTS (SELECT 1 FROM list_members m WHERE m.list_id = k.list_id AND m.user_id = k.user_id)`,
};

/** Fails with every broken invariant and its rows; then checks that `GET /lists/:id` shows each of `users`' lists whole. */
export async function expectInvariants(t: TestApp, users: Registered[]): Promise<void> {
  const broken: Record<string, unknown[]> = {};
  for (const [name, sql] of Object.entries(INVARIANTS)) {
    const rows = await t.dataSource.query<unknown[]>(sql);
    if (rows.length > 0) broken[name] = rows.slice(0, 5);
  }
  expect(broken).toEqual({});

  for (const user of users) {
    const lists = await t.http.get('/lists').set(user.auth);
    if (lists.status !== 200) continue; // the fuzz ended this user's session
    for (const { id } of lists.body as { id: string }[]) {
      const shown = await t.http.get(`/lists/${id}`).set(user.auth).expect(200);
      const [{ count }] = await t.dataSource.query<{ count: number }[]>(
        'SELECT count(*)::int AS count FROM items WHERE list_id = $1',
        [id],
      );
      expect({ list: id, items: (shown.body as { items: unknown[] }).items.length }).toEqual({
        list: id,
        items: count,
      });
    }
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/** An ISO-8601 UTC time with milliseconds, as `Date.prototype.toISOString` writes it. */
const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * `cartsync_item_json`: an item row as the API answers it, for the events appended in SQL
 * (`items.update-logged` uses it too).
 *
 * `POST /lists/:listId/items` in one round trip (issue 12: the add made six, START to COMMIT,
 * each costing the server more CPU than PostgreSQL's work). The steps and their order are
 * those the service ran as separate statements, so the guarantees are the same:
 * - the caller must be a member (else `not-member`, nothing written);
 * - a client id already used answers the existing item (`existing`, a retried add) or
 *   `id-taken` (another list's), nothing written;
 * - the list's row is locked before its items are counted: under READ COMMITTED every
 *   statement of a VOLATILE function reads a fresh snapshot, so the count sees every add that
 *   committed before the lock was granted, and racing adds cannot overshoot (`over-quota`,
 *   nothing written);
 * - the item, the list's seq bump, the event (`item:added`, its payload the item as the API
 *   answers it: `toItemResponse`'s fields) and the NOTIFY (sent by PostgreSQL on commit) are
 *   one atomic statement: no event without its item, no gap in seq. (`p_channel` null: no
 *   NOTIFY, for bench:pg's run without it.) `event_seq` is the event's seq, when added.
 */
export class ItemWriteFunctions1764600000002 implements MigrationInterface {
  name = 'ItemWriteFunctions1764600000002';

  async up(db: QueryRunner): Promise<void> {
    // The item as the API answers it (toItemResponse's fields), for the events the statements
    // below append; test/items.e2e-spec.ts pins it equal to the REST answers.
    await db.query(`
      CREATE FUNCTION cartsync_item_json(i items) RETURNS jsonb LANGUAGE sql STABLE AS $fn$
        SELECT jsonb_build_object(
          'id', i.id, 'listId', i.list_id, 'name', i.name, 'quantity', i.quantity, 'unit', i.unit,
          'checked', i.checked, 'checkedBy', i.checked_by, 'checkedAt', ${iso('i.checked_at')},
          'addedBy', i.added_by, 'createdAt', ${iso('i.created_at')}, 'updatedAt', ${iso('i.updated_at')},
          'version', i.version, 'note', i.note, 'category', i.category)
      $fn$`);
    await db.query(`
      CREATE FUNCTION cartsync_add_item(
        p_list_id uuid, p_user_id uuid, p_session_id uuid, p_item_id uuid, p_name text,
        p_quantity double precision, p_unit text, p_note text, p_category text,
        p_max_items integer, p_channel text)
      RETURNS TABLE (outcome text, item items, event_seq bigint)
      LANGUAGE plpgsql VOLATILE AS $fn$
      DECLARE
        v_item items;
        v_seq bigint;
      BEGIN
        PERFORM 1 FROM list_members m WHERE m.list_id = p_list_id AND m.user_id = p_user_id;
        IF NOT FOUND THEN
          RETURN QUERY SELECT 'not-member'::text, NULL::items, NULL::bigint;
          RETURN;
        END IF;
        SELECT * INTO v_item FROM items i WHERE i.id = p_item_id;
        IF FOUND THEN
          RETURN QUERY SELECT CASE WHEN v_item.list_id = p_list_id THEN 'existing' ELSE 'id-taken' END, v_item, NULL::bigint;
          RETURN;
        END IF;
        PERFORM 1 FROM lists l WHERE l.id = p_list_id FOR NO KEY UPDATE;
        IF (SELECT count(*) FROM items i WHERE i.list_id = p_list_id) >= p_max_items THEN
          RETURN QUERY SELECT 'over-quota'::text, NULL::items, NULL::bigint;
          RETURN;
        END IF;
        INSERT INTO items (id, list_id, name, quantity, unit, note, category, checked, added_by, version)
        VALUES (p_item_id, p_list_id, p_name, p_quantity, p_unit, p_note, p_category, false, p_user_id, 1)
        ON CONFLICT DO NOTHING
        RETURNING * INTO v_item;
        IF NOT FOUND THEN
          -- The id was inserted by a racing add since the look above (its retry, or another list's).
          SELECT * INTO v_item FROM items i WHERE i.id = p_item_id;
          RETURN QUERY SELECT CASE WHEN v_item.list_id = p_list_id THEN 'existing' ELSE 'id-taken' END, v_item, NULL::bigint;
          RETURN;
        END IF;
        UPDATE lists SET seq = seq + 1, updated_at = now() WHERE id = p_list_id RETURNING seq INTO v_seq;
        INSERT INTO list_events (list_id, seq, type, payload, actor_id, actor_session)
        VALUES (p_list_id, v_seq, 'item:added', cartsync_item_json(v_item),
          p_user_id, p_session_id);
        IF p_channel IS NOT NULL THEN
          PERFORM pg_notify(p_channel, json_build_object('l', p_list_id, 's', v_seq)::text);
        END IF;
        RETURN QUERY SELECT 'added'::text, v_item, v_seq;
      END
      $fn$`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP FUNCTION cartsync_add_item`);
    await db.query(`DROP FUNCTION cartsync_item_json`);
  }
}

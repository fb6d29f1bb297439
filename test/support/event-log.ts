import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { EventLog } from '../../src/realtime/event-log.repository';
import type { TestApp } from './app';

/*
 * The one place the e2e specs reach the app's event log directly, for what the REST API
 * cannot produce: megabytes of backlog in a few seconds, an append that rolls back, the
 * trim job. The event log is moving out of src/realtime (a leaf module whose `append` takes
 * part in the caller's transaction through @nestjs-cls/transactional instead of taking an
 * EntityManager): re-point the import and `appendOne` here, and the specs follow.
 */

/** The app's event log (for `trim` and `position`). */
export function eventLog(t: TestApp): EventLog {
  return t.app.get(EventLog);
}

/** One `item:removed` of a random id, padded to about `bytes`, through the app's own EventLog.append. */
function appendOne(t: TestApp, tx: EntityManager, listId: string, bytes: number, actorId: string | null) {
  const payload = bytes > 0 ? { id: randomUUID(), padding: 'x'.repeat(bytes) } : { id: randomUUID() };
  return eventLog(t).append(tx, listId, 'item:removed', payload, actorId);
}

/**
 * Appends `count` events to the list's log in one committed transaction, as a feature's write
 * does (the list's counter, the rows, the NOTIFY sent on commit); each padded to about `bytes`.
 * Returns the list's new head.
 */
export async function appendEvents(t: TestApp, listId: string, count: number, bytes = 0): Promise<number> {
  return t.dataSource.transaction(async (tx) => {
    let head = 0;
    for (let i = 0; i < count; i++) head = await appendOne(t, tx, listId, bytes, null);
    return head;
  });
}

/** Appends one event in a transaction that then rolls back (asserted); returns the seq it had taken there. */
export async function appendRolledBack(t: TestApp, listId: string, actorId: string): Promise<number | undefined> {
  let appended: number | undefined;
  await expect(
    t.dataSource.transaction(async (tx) => {
      appended = await appendOne(t, tx, listId, 0, actorId);
      throw new Error('rollback');
    }),
  ).rejects.toThrow('rollback');
  return appended;
}

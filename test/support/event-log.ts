import { TransactionHost } from '@nestjs-cls/transactional';
import { randomUUID } from 'node:crypto';
import { EventLogRepository } from '../../src/events/event-log.repository';
import type { TestApp } from './app';

/*
 * The one place the e2e specs reach the app's event log directly, for what the REST API
 * cannot produce: megabytes of backlog in a few seconds, an append that rolls back, the
 * trim job. Appends go through the app's own EventLogRepository, inside a unit of work
 * opened on the app's TransactionHost, as a feature's write does.
 */

/** The app's event log (for `trim` and `position`). */
export function eventLog(t: TestApp): EventLogRepository {
  return t.app.get(EventLogRepository);
}

function unitOfWork<T>(t: TestApp, work: () => Promise<T>): Promise<T> {
  return t.app.get(TransactionHost).withTransaction(work);
}

/** One `item:removed` of a random id, padded to about `bytes`, through the app's own append. */
function appendOne(t: TestApp, listId: string, bytes: number, actorId: string | null) {
  const actor = actorId ? { id: actorId, sessionId: randomUUID() } : null;
  const payload = bytes > 0 ? { id: randomUUID(), padding: 'x'.repeat(bytes) } : { id: randomUUID() };
  return eventLog(t).append(listId, 'item:removed', payload, actor);
}

/**
 * Appends `count` events to the list's log in one committed transaction, as a feature's write
 * does (the list's counter, the rows, the NOTIFY sent on commit); each padded to about `bytes`.
 * Returns the list's new head.
 */
export async function appendEvents(t: TestApp, listId: string, count: number, bytes = 0): Promise<number> {
  return unitOfWork(t, async () => {
    let head = 0;
    for (let i = 0; i < count; i++) head = await appendOne(t, listId, bytes, null);
    return head;
  });
}

/** Appends one event in a transaction that then rolls back (asserted); returns the seq it had taken there. */
export async function appendRolledBack(t: TestApp, listId: string, actorId: string): Promise<number | undefined> {
  let appended: number | undefined;
  await expect(
    unitOfWork(t, async () => {
      appended = await appendOne(t, listId, 0, actorId);
      throw new Error('rollback');
    }),
  ).rejects.toThrow('rollback');
  return appended;
}

import { Clock } from '../common/clock/clock';
import { SessionLiveness } from './session-liveness';
import { SessionsRepository } from './sessions.repository';

/** A sessions table whose lookups answer when the test says so. */
class HeldLookups {
  readonly asked: { sessionId: string; answer: (live: boolean) => void; fail: (error: Error) => void }[] = [];

  isLive(sessionId: string): Promise<boolean> {
    return new Promise((answer, fail) => this.asked.push({ sessionId, answer, fail }));
  }
}

describe('SessionLiveness', () => {
  let now: number;
  const clock: Clock = { now: () => new Date(now) };
  const liveness = (sessionCacheMs = 2000) => {
    const table = new HeldLookups();
    const cache = new SessionLiveness(table as unknown as SessionsRepository, clock, { sessionCacheMs } as never);
    return { table, cache };
  };

  beforeEach(() => (now = Date.UTC(2026, 11, 4, 10)));

  it('should ask the database once for requests that arrive while its lookup is under way, and answer them all', async () => {
    const { table, cache } = liveness();
    const answers = Array.from({ length: 50 }, () => cache.isLive('s1', 'u1'));
    expect(table.asked).toHaveLength(1);
    table.asked[0].answer(true);
    expect(await Promise.all(answers)).toEqual(Array(50).fill(true));
    expect(await cache.isLive('s1', 'u1')).toBe(true); // cached
    expect(table.asked).toHaveLength(1);
  });

  it('should ask again once the answer is SESSION_CACHE_MS old, once for all who wait', async () => {
    const { table, cache } = liveness();
    const first = cache.isLive('s1', 'u1');
    table.asked[0].answer(true);
    await first;
    now += 1999;
    await cache.isLive('s1', 'u1');
    expect(table.asked).toHaveLength(1);
    now += 1;
    const later = [cache.isLive('s1', 'u1'), cache.isLive('s1', 'u1')];
    expect(table.asked).toHaveLength(2);
    table.asked[1].answer(false);
    expect(await Promise.all(later)).toEqual([false, false]);
  });

  it('should not keep the answer of a lookup a revocation here overtook: the next request asks again', async () => {
    const { table, cache } = liveness();
    const before = cache.isLive('s1', 'u1');
    cache.forget(['s1']);
    const after = cache.isLive('s1', 'u1'); // after the revocation: a lookup of its own
    expect(table.asked).toHaveLength(2);
    table.asked[1].answer(false);
    expect(await after).toBe(false);
    table.asked[0].answer(true); // read before the revocation committed, answered last
    expect(await before).toBe(true);
    const next = cache.isLive('s1', 'u1');
    expect(table.asked).toHaveLength(2); // the second lookup's answer is the one kept
    expect(await next).toBe(false);
  });

  it('should hand a failed lookup to all who waited for it, keep nothing, and ask again next time', async () => {
    const { table, cache } = liveness();
    const waiting = [cache.isLive('s1', 'u1'), cache.isLive('s1', 'u1')];
    table.asked[0].fail(new Error('connection refused'));
    for (const answer of waiting) await expect(answer).rejects.toThrow('connection refused');
    const retry = cache.isLive('s1', 'u1');
    expect(table.asked).toHaveLength(2);
    table.asked[1].answer(true);
    expect(await retry).toBe(true);
  });

  it('should keep lookups of different sessions apart', async () => {
    const { table, cache } = liveness();
    const a = cache.isLive('s1', 'u1');
    const b = cache.isLive('s2', 'u1');
    expect(table.asked.map((lookup) => lookup.sessionId)).toEqual(['s1', 's2']);
    table.asked[0].answer(true);
    table.asked[1].answer(false);
    expect([await a, await b]).toEqual([true, false]);
  });

  it('should let every request ask the database itself with SESSION_CACHE_MS=0', async () => {
    const { table, cache } = liveness(0);
    const answers = [cache.isLive('s1', 'u1'), cache.isLive('s1', 'u1')];
    expect(table.asked).toHaveLength(2);
    table.asked[0].answer(true);
    table.asked[1].answer(false);
    expect(await Promise.all(answers)).toEqual([true, false]);
  });
});

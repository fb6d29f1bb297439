import { check, type Rule, type Violation } from './checker';
import type {
  ConnEntry,
  DbSnapshot,
  FaultEntry,
  FrameEntry,
  HistoryEntry,
  HttpEntry,
  OpEntry,
  ReadyEntry,
} from './history';

const LIST = '00000000-0000-4000-8000-000000000001';
const MILK = '00000000-0000-4000-8000-0000000000a1';
const ANA = '00000000-0000-4000-8000-0000000000f1';
const BOB = '00000000-0000-4000-8000-0000000000f2';

function http(over: Partial<HttpEntry>): HttpEntry {
  return {
    kind: 'http',
    op: 1,
    attempt: 1,
    client: 'c0',
    instance: 'a',
    method: 'POST',
    path: `/lists/${LIST}/items`,
    start: 1000,
    end: 1010,
    status: 201,
    ...over,
  };
}

function op(over: Partial<OpEntry>): OpEntry {
  return {
    kind: 'op',
    op: 1,
    client: 'c0',
    action: 'add',
    itemId: MILK,
    tag: 'c0-i1',
    name: 'c0-i1',
    start: 1000,
    end: 1010,
    outcome: 'ok',
    status: 201,
    attempts: 1,
    ...over,
  };
}

function conn(over: Partial<ConnEntry>): ConnEntry {
  return { kind: 'conn', socket: 's0', user: ANA, conn: 1, instance: 'b', t: 900, event: 'open', since: 0, ...over };
}

function frame(seq: number, over: Partial<FrameEntry> = {}): FrameEntry {
  const type = seq === 1 ? 'item:added' : 'item:updated';
  return { kind: 'frame', socket: 's0', user: ANA, conn: 1, instance: 'b', t: 1000 + seq * 100, type, seq, ...over };
}

function fault(over: Partial<FaultEntry> = {}): FaultEntry {
  return {
    kind: 'fault',
    name: 'cut(refuse) a+b',
    start: 2000,
    end: 5000,
    dbUnreachable: ['a', 'b'],
    dbPartial: [],
    draining: [],
    killed: [],
    ...over,
  };
}

function ready(instance: string, start: number, status: number | undefined): ReadyEntry {
  return { kind: 'ready', instance, start, end: start + 20, ...(status ? { status } : { error: 'ECONNREFUSED' }) };
}

/** Milk added (seq 1) and checked (seq 2) by c0; one socket saw both. */
function cleanRun(): { history: HistoryEntry[]; db: DbSnapshot } {
  return {
    history: [
      conn({}),
      http({}),
      op({}),
      frame(1),
      http({ op: 2, method: 'PATCH', path: `/lists/${LIST}/items/${MILK}`, start: 1100, end: 1110, status: 200 }),
      op({ op: 2, action: 'check', name: undefined, checked: true, start: 1100, end: 1110, status: 200 }),
      frame(2),
    ],
    db: {
      list: { id: LIST, name: "Ana's List", seq: 2 },
      items: [{ id: MILK, name: 'c0-i1', checked: true, note: 'c0-i1' }],
      events: [
        { seq: 1, type: 'item:added', payload: { id: MILK } },
        { seq: 2, type: 'item:updated', payload: { id: MILK } },
      ],
    },
  };
}

function rules(violations: Violation[]): Rule[] {
  return [...new Set(violations.map((v) => v.rule))].sort();
}

describe('fault-suite checker', () => {
  it('should find nothing wrong in a clean run', () => {
    const { history, db } = cleanRun();
    expect(check(history, db)).toEqual([]);
  });

  describe('writes', () => {
    it('should catch an acknowledged write missing from the database', () => {
      const { history, db } = cleanRun();
      const violations = check(history, { ...db, items: [] });
      expect(rules(violations)).toEqual(['lost-write']);
      expect(violations[0].entry).toMatchObject({ kind: 'op', op: 2, action: 'check' });
    });

    it('should catch a write applied twice: two rows for one client item, or two item:added events', () => {
      const { history, db } = cleanRun();
      const twoRows = {
        ...db,
        items: [
          ...db.items,
          { id: '00000000-0000-4000-8000-0000000000a2', name: 'c0-i1', checked: false, note: 'c0-i1' },
        ],
      };
      expect(rules(check(history, twoRows))).toEqual(['duplicate-write']);
      const twoEvents = { ...db, events: [...db.events, { seq: 3, type: 'item:added', payload: { id: MILK } }] };
      expect(rules(check(history, twoEvents, {}).filter((v) => v.rule !== 'incomplete-stream'))).toEqual([
        'duplicate-write',
      ]);
    });

    it('should catch an acknowledged change the database does not show', () => {
      const { history, db } = cleanRun();
      const violations = check(history, { ...db, items: [{ ...db.items[0], checked: false }] });
      expect(rules(violations)).toEqual(['stale-value']);
    });

    it('should accept either state after an operation that got no definitive answer, but report it abandoned', () => {
      const { history, db } = cleanRun();
      history.push(
        http({ op: 3, method: 'PATCH', start: 1200, end: 1300, status: undefined, error: 'ECONNRESET' }),
        op({
          op: 3,
          action: 'rename',
          name: 'oat milk',
          start: 1200,
          end: 1300,
          outcome: 'abandoned',
          status: undefined,
        }),
      );
      for (const name of ['c0-i1', 'oat milk']) {
        expect(rules(check(history, { ...db, items: [{ ...db.items[0], name }] }))).toEqual(['abandoned']);
      }
      expect(rules(check(history, { ...db, items: [{ ...db.items[0], name: 'soy milk' }] }))).toEqual([
        'abandoned',
        'stale-value',
      ]);
    });

    it('should count a 404 to a DELETE retried after an unanswered attempt as done', () => {
      const { history, db } = cleanRun();
      history.push(op({ op: 3, action: 'delete', name: undefined, start: 1200, end: 1300, status: 404, attempts: 2 }));
      expect(check(history, { ...db, items: [] })).toEqual([]);
      expect(rules(check(history, db))).toEqual(['lost-write']);
    });

    it('should catch a read that misses the client’s own acknowledged add', () => {
      const { history, db } = cleanRun();
      history.push(op({ op: 3, action: 'get', itemId: undefined, start: 1200, end: 1210, status: 200, itemIds: [] }));
      expect(rules(check(history, db))).toEqual(['read-your-writes']);
    });
  });

  describe('streams', () => {
    function withFrames(frames: FrameEntry[], extra: HistoryEntry[] = []): HistoryEntry[] {
      const { history } = cleanRun();
      return [...history.filter((e) => e.kind !== 'frame'), ...frames, ...extra];
    }

    it('should catch a gap', () => {
      const { db } = cleanRun();
      const three = {
        ...db,
        list: { ...db.list, seq: 3 },
        events: [...db.events, { seq: 3, type: 'item:updated', payload: {} }],
      };
      const violations = check(withFrames([frame(1), frame(3)]), three);
      expect(rules(violations)).toEqual(['gap', 'incomplete-stream']);
      expect(violations.find((v) => v.rule === 'gap')!.entry).toMatchObject({ kind: 'frame', seq: 3 });
    });

    it('should catch a duplicate frame, also one replayed across a reconnect', () => {
      const { db } = cleanRun();
      expect(rules(check(withFrames([frame(1), frame(2), frame(2)]), db))).toEqual(['duplicate-frame']);
      const reconnect = withFrames(
        [frame(1)],
        [
          conn({ event: 'close', t: 1150, code: 1006 }),
          conn({ conn: 2, t: 1160, since: 1 }),
          frame(1, { conn: 2, t: 1170 }),
          frame(2, { conn: 2, t: 1180 }),
        ],
      );
      expect(rules(check(reconnect, db))).toEqual(['duplicate-frame']);
    });

    it('should accept a stream resumed with since across a reconnect', () => {
      const { db } = cleanRun();
      const resumed = withFrames(
        [frame(1)],
        [
          conn({ event: 'close', t: 1150, code: 1001 }),
          conn({ conn: 2, t: 1160, since: 1 }),
          frame(2, { conn: 2, t: 1180 }),
        ],
      );
      expect(check(resumed, db)).toEqual([]);
    });

    it('should catch a reordering (without calling it a gap)', () => {
      const { db } = cleanRun();
      const violations = check(withFrames([frame(2, { t: 1100 }), frame(1, { t: 1200 })]), db);
      // A client applies the next seq only: it holds 1, not 2, after these two frames.
      expect(rules(violations)).toEqual(['incomplete-stream', 'reordered-frame']);
      expect(violations.find((v) => v.rule === 'reordered-frame')!.entry).toMatchObject({ seq: 1 });
    });

    it('should catch a frame that is not the logged event at its seq, and a stream that stops short', () => {
      const { db } = cleanRun();
      expect(rules(check(withFrames([frame(1), frame(2, { type: 'item:removed' })]), db))).toEqual(['frame-mismatch']);
      expect(rules(check(withFrames([frame(1)]), db))).toEqual(['incomplete-stream']);
    });

    it('should refuse a resync unless allowed and followed by a reload', () => {
      const { db } = cleanRun();
      const resync: FrameEntry = { ...frame(0), seq: undefined, type: 'resync', resyncSeq: 2, t: 1050 };
      expect(rules(check(withFrames([resync]), db))).toEqual(['incomplete-stream', 'resync']);
      const reloaded = withFrames(
        [resync],
        [
          conn({ event: 'close', t: 1060, code: 1000, byClient: true }),
          op({ op: 9, action: 'reload', socket: 's0', itemId: undefined, seq: 2, start: 1070, end: 1080, status: 200 }),
          conn({ conn: 2, t: 1090, since: 2 }),
        ],
      );
      expect(check(reloaded, db, { allowResync: true })).toEqual([]);
      expect(rules(check(withFrames([resync]), db, { allowResync: true }))).toEqual(['incomplete-stream', 'resync']);
    });
  });

  describe('answers', () => {
    it('should catch a 401 during a fault', () => {
      const { history, db } = cleanRun();
      history.push(fault(), http({ op: 5, start: 2500, end: 2510, status: 401 }));
      const violations = check(history, db);
      expect(rules(violations)).toEqual(['unauthorized']);
      expect(violations[0].entry).toMatchObject({ kind: 'http', status: 401 });
    });

    it('should catch a socket closed as signed out (4401) during a fault', () => {
      const { history, db } = cleanRun();
      history.push(fault(), conn({ event: 'close', t: 2500, code: 4401 }));
      expect(rules(check(history, db))).toContain('unauthorized');
    });

    it('should catch a bare 500, and a 503 without Retry-After or while the database was reachable', () => {
      const { history, db } = cleanRun();
      expect(rules(check([...history, fault(), http({ op: 5, start: 2500, end: 2510, status: 500 })], db))).toEqual([
        'server-error',
      ]);
      expect(rules(check([...history, fault(), http({ op: 5, start: 2500, end: 2510, status: 503 })], db))).toEqual([
        'server-error',
      ]);
      expect(
        rules(
          check([...history, fault(), http({ op: 5, start: 20_000, end: 20_010, status: 503, retryAfter: '1' })], db),
        ),
      ).toEqual(['unexpected-503']);
    });

    it('should accept a 503 with Retry-After while the database is unreachable, and a refused handshake likewise', () => {
      const { history, db } = cleanRun();
      const answered = [
        ...history,
        fault(),
        http({ op: 5, start: 2500, end: 2510, status: 503, retryAfter: '1' }),
        conn({ conn: 2, event: 'refused', t: 2600, status: 503, retryAfter: '1' }),
      ];
      expect(check(answered, db)).toEqual([]);
    });
  });

  it('should catch a request a shutting-down instance took and dropped, but not a refused connection', () => {
    const { history, db } = cleanRun();
    const term = fault({ name: 'SIGTERM b', start: 2000, end: 7000, dbUnreachable: [], draining: ['b'] });
    const cut = http({ op: 5, instance: 'b', start: 6990, end: 7000, status: undefined, error: 'ECONNRESET' });
    expect(rules(check([...history, term, cut], db))).toEqual(['cut-by-shutdown']);
    expect(check([...history, term, { ...cut, error: 'ECONNREFUSED' }], db)).toEqual([]);
    // An idle keep-alive connection closed by the signal just as a request went out on it.
    expect(check([...history, term, { ...cut, start: 2050 }], db)).toEqual([]);
  });

  describe('readiness and processes', () => {
    function probes(instance: string, from: number, to: number, status: (t: number) => number | undefined) {
      const entries: ReadyEntry[] = [];
      for (let t = from; t < to; t += 250) entries.push(ready(instance, t, status(t)));
      return entries;
    }

    it('should accept /ready 503 while the database is unreachable and 200 within 5 s of its return', () => {
      const { history, db } = cleanRun();
      const ok = probes('a', 0, 12_000, (t) => (t >= 2500 && t < 6000 ? 503 : 200));
      expect(check([...history, fault(), ...ok], db)).toEqual([]);
    });

    it('should catch /ready saying 200 while the database is unreachable, or not recovering within 5 s', () => {
      const { history, db } = cleanRun();
      const blind = probes('a', 0, 12_000, () => 200);
      expect(rules(check([...history, fault(), ...blind], db))).toEqual(['ready']);
      const slow = probes('a', 0, 14_000, (t) => (t >= 2500 && t < 11_000 ? 503 : 200));
      expect(rules(check([...history, fault(), ...slow], db))).toEqual(['ready']);
    });

    it('should catch a SIGTERM whose drain lasts until the shutdown timeout', () => {
      const { history, db } = cleanRun();
      const term = fault({ name: 'SIGTERM b', start: 2000, end: 7000, dbUnreachable: [], draining: ['b'] });
      const served = http({ op: 5, instance: 'b', start: 4000, end: 4010, status: 200 });
      const violations = check([...history, term, served], db, { shutdownTimeoutMs: 5000 });
      expect(rules(violations)).toEqual(['drain-timeout']);
      expect(violations[0].message).toContain('having taken 1 new requests');
      expect(check([...history, { ...term, end: 2600 }], db, { shutdownTimeoutMs: 5000 })).toEqual([]);
    });

    it('should catch a server that exits without being killed, and a SIGTERM that does not exit 0', () => {
      const { history, db } = cleanRun();
      const started = { kind: 'instance', instance: 'b', t: 0, event: 'started', pid: 7 } as const;
      const exited = {
        kind: 'instance',
        instance: 'b',
        t: 3000,
        event: 'exited',
        pid: 7,
        code: 1,
        signal: null,
      } as const;
      expect(rules(check([...history, started, exited], db))).toEqual(['restart']);
      const term = fault({ name: 'SIGTERM b', dbUnreachable: [], draining: ['b'] });
      expect(rules(check([...history, started, term, exited], db))).toEqual(['restart']);
      expect(check([...history, started, term, { ...exited, code: 0 }], db)).toEqual([]);
      const kill = fault({ name: 'SIGKILL b', dbUnreachable: [], killed: ['b'] });
      expect(check([...history, started, kill, { ...exited, code: null, signal: 'SIGKILL' }], db)).toEqual([]);
    });
  });

  describe('membership', () => {
    /** Bob removed at seq 2, re-added at seq 4; his socket s1. */
    function churn(bobFrames: FrameEntry[], close: Partial<ConnEntry> = { code: 4403 }) {
      const members = (ids: string[]) => ids.map((id) => ({ id }));
      const db: DbSnapshot = {
        list: { id: LIST, name: "Ana's List", seq: 4 },
        items: [],
        events: [
          { seq: 1, type: 'item:added', payload: { id: MILK } },
          { seq: 2, type: 'list:updated', payload: { members: members([ANA]) } },
          { seq: 3, type: 'item:removed', payload: { id: MILK } },
          { seq: 4, type: 'list:updated', payload: { members: members([ANA, BOB]) } },
        ],
      };
      const bob = { socket: 's1', user: BOB };
      const history: HistoryEntry[] = [
        conn({ ...bob }),
        ...bobFrames.map((f) => ({ ...f, ...bob })),
        conn({ ...bob, event: 'close', t: 1450, ...close }),
        conn({ ...bob, event: 'refused', conn: 2, t: 1500, status: 404 }),
        op({
          op: 7,
          client: 'c9',
          action: 'reload',
          socket: 's1',
          itemId: undefined,
          seq: 4,
          start: 1600,
          end: 1700,
          status: 200,
        }),
        conn({ ...bob, conn: 3, t: 1800, since: 4 }),
      ];
      return { history, db };
    }
    const removed = (seq: number, type = 'list:updated') => frame(seq, { type });

    it('should accept a removed member’s socket closed with 4403 after the removal, and the stream again after re-adding', () => {
      const { history, db } = churn([frame(1), removed(2)]);
      expect(check(history, db, { churnedUsers: [BOB] })).toEqual([]);
    });

    it('should catch an event committed after the removal reaching the removed member', () => {
      const { history, db } = churn([frame(1), removed(2), frame(3, { type: 'item:removed' })]);
      const violations = check(history, db, { churnedUsers: [BOB] });
      expect(rules(violations)).toEqual(['membership-leak', 'not-closed']);
      expect(violations.find((v) => v.rule === 'membership-leak')!.entry).toMatchObject({ seq: 3 });
    });

    it('should catch a removed member’s socket that is not closed with 4403', () => {
      const { history, db } = churn([frame(1), removed(2)], { code: 1001 });
      expect(rules(check(history, db, { churnedUsers: [BOB] }))).toEqual(['not-closed']);
    });
  });
});

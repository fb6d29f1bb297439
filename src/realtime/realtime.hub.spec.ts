import { mock, MockProxy } from 'jest-mock-extended';
import { WebSocket } from 'ws';
import { ListAccess } from '../access/list-access.service';
import { EventLogRepository } from '../events/event-log.repository';
import { EPHEMERAL_CHANNEL } from '../events/stored-event';
import { Metrics } from '../metrics/metrics';
import { FrameRenderers } from './frame-renderers';
import { ListConnection } from './list-connection';
import { PgListener } from './pg-listener';
import { RealtimeRepository } from './realtime.repository';
import { RealtimeHub } from './realtime.hub';

const LISTS = ['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002'];
const LIMITS = { maxBufferedBytes: 1_048_576, slowReaderMs: 10_000, checkingPerSecond: 5 };

function openSocket(): WebSocket {
  return { readyState: WebSocket.OPEN, bufferedAmount: 0, send: jest.fn(), close: jest.fn() } as unknown as WebSocket;
}

/** Every call the hub made to a database-backed double, by method name. */
function calls(double: MockProxy<object>, ...methods: string[]): unknown[][] {
  const fns = double as unknown as Record<string, jest.Mock>;
  return methods.flatMap((method) => fns[method].mock.calls as unknown[][]);
}

describe('RealtimeHub', () => {
  let log: MockProxy<EventLogRepository>;
  let repository: MockProxy<RealtimeRepository>;
  let hub: RealtimeHub;

  beforeEach(() => {
    log = mock<EventLogRepository>();
    repository = mock<RealtimeRepository>();
    const renderers = mock<FrameRenderers>();
    renderers.render.mockImplementation((events) => Promise.resolve(events));
    log.after.mockResolvedValue([]);
    const config = { sweepMs: 60_000, heartbeatMs: 30_000, trimIntervalMs: 60_000 } as never;
    hub = new RealtimeHub(
      log,
      renderers,
      repository,
      mock<PgListener>(),
      mock<ListAccess>(),
      { now: () => new Date() },
      config,
      { id: '00000000-0000-4000-8000-0000000000aa' },
      mock<Metrics>(),
    );
  });

  describe('leave', () => {
    it('should unregister 100 sockets that close at once in a few statements, not two each (a mass disconnect must not drain the pool)', async () => {
      const connections = Array.from({ length: 100 }, (_, i) => {
        const user = { id: `user-${i % 4}`, sessionId: `session-${i}` };
        return new ListConnection(openSocket(), LISTS[i % 2], user, LIMITS, () => Date.now());
      });
      for (const connection of connections) await hub.join(connection, {}, { seq: 0, oldest: null }, 0);
      log.notify.mockClear();

      await Promise.all(connections.map((connection) => hub.leave(connection)));

      const unregistered = calls(repository, 'unregisterConnection', 'unregisterConnections');
      const presence = calls(log, 'notify', 'notifyAll');
      expect(unregistered.length + presence.length).toBeLessThanOrEqual(4);
      expect(unregistered.flatMap(([ids]) => ids as string[]).sort()).toEqual(connections.map((c) => c.id).sort());
      expect(presence.flatMap(([, messages]) => messages as object[])).toEqual(
        expect.arrayContaining(LISTS.map((l) => ({ l, t: 'presence' }))),
      );
      expect(presence.every(([channel]) => channel === EPHEMERAL_CHANNEL)).toBe(true);
      expect(hub.connections()).toEqual([]);
    });
  });
});

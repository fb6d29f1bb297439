import { INestApplication } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import { exitOnSignals } from './graceful-shutdown';

/** A stand-in app: a real HTTP server, and close() that records its order. */
function fakeApp(events: string[], failClose = false): INestApplication {
  const server = createServer();
  return {
    getHttpServer: () => server,
    get: () => ({ start: () => events.push('drain') }),
    close: () => {
      events.push('app closed');
      return failClose ? Promise.reject(new Error('pool would not close')) : Promise.resolve();
    },
  } as unknown as INestApplication;
}

function signals() {
  const emitter = new EventEmitter();
  const exit = jest.fn<void, [number]>();
  const exited = new Promise<number>((resolve) => exit.mockImplementation(resolve));
  return { target: { once: emitter.once.bind(emitter), exit }, emitter, exit, exited };
}

describe('exitOnSignals', () => {
  it('should drain, close the app, run afterClose and exit 0 on SIGTERM', async () => {
    const events: string[] = [];
    const { target, emitter, exited } = signals();
    exitOnSignals(fakeApp(events), { timeoutMs: 1000, afterClose: () => void events.push('after close') }, target);
    emitter.emit('SIGTERM', 'SIGTERM');
    await expect(exited).resolves.toBe(0);
    expect(events).toEqual(['drain', 'app closed', 'after close']);
  });

  it('should shut down once when SIGINT follows SIGTERM', async () => {
    const events: string[] = [];
    const { target, emitter, exit, exited } = signals();
    exitOnSignals(fakeApp(events), { timeoutMs: 1000 }, target);
    emitter.emit('SIGTERM', 'SIGTERM');
    emitter.emit('SIGINT', 'SIGINT');
    await exited;
    expect(exit).toHaveBeenCalledTimes(1);
    expect(events.filter((e) => e === 'app closed')).toHaveLength(1);
  });

  it('should exit 1 when closing fails', async () => {
    const { target, emitter, exited } = signals();
    exitOnSignals(fakeApp([], true), { timeoutMs: 1000 }, target);
    emitter.emit('SIGTERM', 'SIGTERM');
    await expect(exited).resolves.toBe(1);
  });
});

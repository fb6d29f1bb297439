import { BoundedConcurrency } from './bounded-concurrency';

/** A task that runs until released, recording when it started. */
function heldTask(started: string[], name: string) {
  let release!: (value: string) => void;
  const done = new Promise<string>((resolve) => (release = resolve));
  return {
    task: () => {
      started.push(name);
      return done;
    },
    release: () => release(name),
  };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('BoundedConcurrency', () => {
  const full = () => new Error('full');

  it('should run up to `concurrent` tasks at once and queue up to `queue` more', async () => {
    const limit = new BoundedConcurrency(2, 2, full);
    const started: string[] = [];
    const tasks = ['a', 'b', 'c', 'd'].map((name) => heldTask(started, name));
    const results = tasks.map(({ task }) => limit.run(task));
    await flush();

    expect(started).toEqual(['a', 'b']);
    expect([limit.running, limit.queued]).toEqual([2, 2]);
    tasks.forEach(({ release }) => release());
    await expect(Promise.all(results)).resolves.toEqual(['a', 'b', 'c', 'd']);
    expect(started).toEqual(['a', 'b', 'c', 'd']);
    expect([limit.running, limit.queued]).toEqual([0, 0]);
  });

  it('should refuse at once the task beyond the queue, and accept again once a slot frees', async () => {
    const limit = new BoundedConcurrency(1, 1, full);
    const started: string[] = [];
    const [a, b] = [heldTask(started, 'a'), heldTask(started, 'b')];
    const running = limit.run(a.task);
    const queued = limit.run(b.task);

    await expect(limit.run(() => Promise.resolve('c'))).rejects.toThrow('full');
    a.release();
    await expect(running).resolves.toBe('a');
    await flush();
    expect(started).toEqual(['a', 'b']);
    b.release();
    await expect(queued).resolves.toBe('b');
    await expect(limit.run(() => Promise.resolve('d'))).resolves.toBe('d');
  });

  it('should free the slot of a task that failed, and start the next in arrival order', async () => {
    const limit = new BoundedConcurrency(1, 2, full);
    const order: string[] = [];
    const failing = limit.run(() => Promise.reject(new Error('boom')));
    const second = limit.run(() => (order.push('second'), Promise.resolve(2)));
    const third = limit.run(() => (order.push('third'), Promise.resolve(3)));

    await expect(failing).rejects.toThrow('boom');
    await expect(Promise.all([second, third])).resolves.toEqual([2, 3]);
    expect(order).toEqual(['second', 'third']);
    expect([limit.running, limit.queued]).toEqual([0, 0]);
  });

  it('should refuse everything beyond `concurrent` with a queue of 0', async () => {
    const limit = new BoundedConcurrency(1, 0, full);
    const a = heldTask([], 'a');
    const running = limit.run(a.task);
    await expect(limit.run(() => Promise.resolve('b'))).rejects.toThrow('full');
    a.release();
    await expect(running).resolves.toBe('a');
  });
});

/**
 * Runs at most `concurrent` tasks at once and lets at most `queue` more wait, in arrival
 * order; one beyond that is refused at once with `refuse()`, so work that cannot start soon
 * is turned away instead of piling up.
 */
export class BoundedConcurrency {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly concurrent: number,
    private readonly queue: number,
    private readonly refuse: () => Error,
  ) {}

  /** Tasks running now. */
  get running(): number {
    return this.active;
  }

  /** Tasks waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active < this.concurrent) {
      this.active++;
    } else {
      if (this.waiting.length >= this.queue) throw this.refuse();
      // Woken by a finishing task, which hands its slot over (active stays the same).
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

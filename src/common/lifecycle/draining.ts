import { Global, Injectable, Module } from '@nestjs/common';

/**
 * Shutdown's first step, before the HTTP server waits for its connections: long-lived
 * connections (WebSockets) close themselves here so the drain does not wait on them.
 */
@Injectable()
export class Draining {
  private readonly hooks: (() => Promise<void> | void)[] = [];

  onDrain(hook: () => Promise<void> | void): void {
    this.hooks.push(hook);
  }

  async start(): Promise<void> {
    await Promise.allSettled(this.hooks.map(async (hook) => hook()));
  }
}

@Global()
@Module({ providers: [Draining], exports: [Draining] })
export class DrainingModule {}

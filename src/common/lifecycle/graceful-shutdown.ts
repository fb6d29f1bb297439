import { INestApplication, Logger } from '@nestjs/common';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Draining } from './draining';

export interface ShutdownOptions {
  /** Longest wait for in-flight requests before their connections are cut. */
  timeoutMs: number;
  /** Runs after the app (and its database pool) closed, e.g. stopping an embedded database. */
  afterClose?: () => Promise<void> | void;
}

/**
 * Stop accepting, let in-flight requests finish (bounded), then close the app — pools,
 * listeners — in that order. Nest's own shutdown hooks close the pool before the HTTP
 * server and re-raise the signal (exit code 143); a rolling deploy wants drain-then-exit-0.
 */
export async function shutdownGracefully(app: INestApplication, options: ShutdownOptions): Promise<void> {
  const server = app.getHttpServer() as Server;
  const cutOff = setTimeout(() => server.closeAllConnections(), options.timeoutMs);
  cutOff.unref();
  // Keep-alive connections would otherwise bring new requests until the cut-off: every
  // answer from now on closes its connection, and connections that go idle are closed, so
  // clients move to another instance while what was accepted here still finishes.
  server.on('request', (_request: IncomingMessage, response: ServerResponse) => {
    if (!response.headersSent) response.setHeader('Connection', 'close');
  });
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const idle = setInterval(() => server.closeIdleConnections(), 50);
  idle.unref();
  await app.get(Draining, { strict: false }).start();
  await closed;
  clearInterval(idle);
  clearTimeout(cutOff);
  await app.close();
  await options.afterClose?.();
}

/** The parts of `process` signal handling uses (a stand-in in tests). */
export interface SignalTarget {
  once(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  exit(code: number): void;
}

/** SIGTERM/SIGINT: drain and exit 0 (1 when the shutdown itself failed). */
export function exitOnSignals(app: INestApplication, options: ShutdownOptions, target: SignalTarget = process): void {
  const logger = new Logger('Shutdown');
  let started = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (started) return;
    started = true;
    logger.log(`${signal} received: draining requests`);
    shutdownGracefully(app, options).then(
      () => target.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        target.exit(1);
      },
    );
  };
  target.once('SIGTERM', onSignal);
  target.once('SIGINT', onSignal);
}

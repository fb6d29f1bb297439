import { createServer } from 'node:net';

/** Whether nothing listens on `host:port` right now (a probe: listen, then close). */
export function isPortFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
      .once('error', () => resolve(false))
      .listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** A port the system hands out as free on `host`. */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
      .once('error', reject)
      .listen(0, host, () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
  });
}

/** The HTTP port is taken: most likely another CartSync server started from the same checkout. */
export class PortInUseError extends Error {
  constructor(port: number, host: string) {
    super(`port ${port} on ${host} is already in use (another CartSync server?): stop it or set PORT`);
  }
}

/** Refuses early, before anything else starts, when `host:port` is taken (0: any port will do). */
export async function assertPortFree(port: number, host: string): Promise<void> {
  if (port !== 0 && !(await isPortFree(port, host))) throw new PortInUseError(port, host);
}

/** `listen`'s EADDRINUSE (another process bound the port after the early check) told the same way. */
export function explainListenError(error: unknown, port: number, host: string): unknown {
  return (error as NodeJS.ErrnoException | null)?.code === 'EADDRINUSE' ? new PortInUseError(port, host) : error;
}

import { createServer, Server } from 'node:net';
import { assertPortFree, explainListenError, freePort, isPortFree, PortInUseError } from './ports';

describe('ports', () => {
  let taken: Server;
  let port: number;

  beforeEach(async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    port = (taken.address() as { port: number }).port;
  });
  afterEach(() => new Promise((resolve) => taken.close(resolve)));

  it('should tell a taken port from a free one', async () => {
    await expect(isPortFree(port, '127.0.0.1')).resolves.toBe(false);
    await expect(isPortFree(await freePort('127.0.0.1'), '127.0.0.1')).resolves.toBe(true);
  });

  it('should refuse a taken HTTP port with a message that says what to do', async () => {
    await expect(assertPortFree(port, '127.0.0.1')).rejects.toThrow(new PortInUseError(port, '127.0.0.1'));
    expect(new PortInUseError(port, '127.0.0.1').message).toBe(
      `port ${port} on 127.0.0.1 is already in use (another CartSync server?): stop it or set PORT`,
    );
  });

  it('should accept a free port, and port 0 (any port)', async () => {
    await expect(assertPortFree(await freePort('127.0.0.1'), '127.0.0.1')).resolves.toBeUndefined();
    await expect(assertPortFree(0, '127.0.0.1')).resolves.toBeUndefined();
  });

  it("should tell listen's EADDRINUSE as the same refusal and pass any other error through", () => {
    const inUse = Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' });
    expect(explainListenError(inUse, 3000, '0.0.0.0')).toEqual(new PortInUseError(3000, '0.0.0.0'));
    const other = Object.assign(new Error('listen EACCES'), { code: 'EACCES' });
    expect(explainListenError(other, 80, '0.0.0.0')).toBe(other);
  });
});

import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { TcpProxy } from './tcp-proxy';

/** An echo server: answers every chunk with the same bytes. */
async function echoServer(): Promise<Server> {
  const server = createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function connect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Sends `text` and resolves with the echo and how long it took; rejects when the connection ends first. */
function roundTrip(socket: Socket, text: string): Promise<{ echo: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let echo = '';
    const onData = (chunk: Buffer) => {
      echo += chunk.toString();
      if (echo.length >= text.length) {
        socket.off('close', onClose);
        socket.off('data', onData);
        resolve({ echo, ms: Date.now() - started });
      }
    };
    const onClose = () => reject(new Error('connection closed'));
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.write(text);
  });
}

/** How a fresh connection through the proxy fares within `ms`: echoed, closed, or silent. */
async function freshConnection(port: number, ms: number): Promise<'echoed' | 'closed' | 'silent'> {
  const socket = createConnection({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  try {
    return await Promise.race([
      roundTrip(socket, 'ping').then(
        () => 'echoed' as const,
        () => 'closed' as const,
      ),
      new Promise<'silent'>((resolve) => setTimeout(() => resolve('silent'), ms)),
    ]);
  } finally {
    socket.destroy();
  }
}

describe('TcpProxy', () => {
  let upstream: Server;
  let proxy: TcpProxy;

  beforeEach(async () => {
    upstream = await echoServer();
    proxy = await TcpProxy.start({ host: '127.0.0.1', port: (upstream.address() as AddressInfo).port });
  });

  afterEach(async () => {
    await proxy.close();
    upstream.close();
  });

  it('should forward both ways and report the upstream ports of its live connections', async () => {
    const socket = await connect(proxy.port);
    await expect(roundTrip(socket, 'hello')).resolves.toMatchObject({ echo: 'hello' });
    expect(proxy.connections).toBe(1);
    expect(proxy.upstreamPorts()).toEqual([expect.any(Number)]);
    socket.destroy();
  });

  it('should destroy every connection on cut, reset new ones while cut (refuse), and pass again after restore', async () => {
    const socket = await connect(proxy.port);
    await roundTrip(socket, 'before');
    const closed = new Promise((resolve) => socket.once('close', resolve));
    proxy.cut('refuse');
    await closed;
    expect(proxy.connections).toBe(0);
    await expect(freshConnection(proxy.port, 500)).resolves.toBe('closed');
    proxy.restore();
    await expect(freshConnection(proxy.port, 2000)).resolves.toBe('echoed');
  });

  it('should hold new connections without an answer while black-holed, and drop them on restore', async () => {
    proxy.cut('blackhole');
    const socket = createConnection({ host: '127.0.0.1', port: proxy.port });
    socket.on('error', () => undefined);
    const echoed = roundTrip(socket, 'anyone?');
    const outcome = await Promise.race([
      echoed.then(
        () => 'echoed',
        () => 'closed',
      ),
      new Promise((r) => setTimeout(() => r('silent'), 300)),
    ]);
    expect(outcome).toBe('silent');
    proxy.restore();
    await expect(echoed).rejects.toThrow('connection closed');
  });

  it('should add the latency to each direction, keep the bytes in order, and drop it on restore', async () => {
    const socket = await connect(proxy.port);
    proxy.delay(100);
    const slow = await roundTrip(socket, 'abcdefghij');
    expect(slow.echo).toBe('abcdefghij');
    expect(slow.ms).toBeGreaterThanOrEqual(190);
    proxy.restore();
    expect((await roundTrip(socket, 'fast')).ms).toBeLessThan(100);
    socket.destroy();
  });
});

import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** What happens to new connections while the proxy is cut. */
export type CutMode =
  /** New connections are accepted and reset at once (the peer sees the connection fail). */
  | 'refuse'
  /** New connections are accepted and never answered (the peer waits for its own timeout). */
  | 'blackhole';

export interface ProxyTarget {
  host: string;
  port: number;
}

/** Chunks of one direction, forwarded in order, each no earlier than its due time. */
class DelayedPipe {
  private readonly queue: { due: number; chunk: Buffer | null }[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly to: Socket,
    private readonly delayMs: () => number,
  ) {}

  /** `null` is the end of the stream: half-closes `to` once everything before it went out. */
  push(chunk: Buffer | null): void {
    const delay = this.delayMs();
    if (delay === 0 && this.queue.length === 0) return this.write(chunk);
    const last = this.queue.at(-1)?.due ?? 0;
    this.queue.push({ due: Math.max(Date.now() + delay, last), chunk });
    this.schedule();
  }

  clear(): void {
    this.queue.length = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.timer || this.queue.length === 0) return;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        while (this.queue.length > 0 && this.queue[0].due <= Date.now()) this.write(this.queue.shift()!.chunk);
        this.schedule();
      },
      Math.max(0, this.queue[0].due - Date.now()),
    );
  }

  private write(chunk: Buffer | null): void {
    if (this.to.destroyed) return;
    if (chunk === null) this.to.end();
    else this.to.write(chunk);
  }
}

/** One client connection and its upstream connection. */
class Link {
  private readonly pipes: DelayedPipe[] = [];

  constructor(
    readonly client: Socket,
    readonly upstream: Socket,
    delayMs: () => number,
    onClose: (link: Link) => void,
  ) {
    const forward = (from: Socket, to: Socket) => {
      const pipe = new DelayedPipe(to, delayMs);
      this.pipes.push(pipe);
      from.on('data', (chunk: Buffer) => pipe.push(chunk));
      from.on('end', () => pipe.push(null));
    };
    forward(client, upstream);
    forward(upstream, client);
    for (const socket of [client, upstream]) {
      socket.on('error', () => this.destroy());
      socket.on('close', () => {
        this.destroy();
        onClose(this);
      });
    }
  }

  destroy(): void {
    for (const pipe of this.pipes) pipe.clear();
    this.client.destroy();
    this.upstream.destroy();
  }
}

/**
 * A TCP proxy on 127.0.0.1 between one server instance and PostgreSQL, which a scenario
 * controls: `cut` destroys every connection and refuses or black-holes new ones until
 * `restore`; `delay` adds latency to every chunk in both directions. Written on node:net
 * so the suite needs no external fault-injection tool.
 */
export class TcpProxy {
  private readonly links = new Set<Link>();
  private readonly held = new Set<Socket>();
  private cutMode: CutMode | null = null;
  private delayMs = 0;

  private constructor(
    private readonly server: Server,
    private target: ProxyTarget,
  ) {
    server.on('connection', (client) => this.accept(client));
  }

  static async start(target: ProxyTarget): Promise<TcpProxy> {
    const server = createServer({ pauseOnConnect: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return new TcpProxy(server, target);
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get isCut(): boolean {
    return this.cutMode !== null;
  }

  /** Points new connections at another address (e.g. a database that came back on another port). */
  retarget(target: ProxyTarget): void {
    this.target = target;
  }

  /** Destroys every connection; until `restore`, new ones are refused or black-holed. */
  cut(mode: CutMode = 'refuse'): void {
    this.cutMode = mode;
    for (const link of this.links) link.destroy();
    this.links.clear();
  }

  /** Refuses new connections until `restore`, leaving the open ones alone (a reconnect cannot succeed). */
  refuseNew(): void {
    this.cutMode = 'refuse';
  }

  /** Adds `ms` of latency to every chunk from now on, both ways (0: none). */
  delay(ms: number): void {
    this.delayMs = ms;
  }

  /** New connections pass again, without added latency; black-holed ones are dropped. */
  restore(): void {
    this.cutMode = null;
    this.delayMs = 0;
    for (const socket of this.held) socket.destroy();
    this.held.clear();
  }

  /**
   * The local ports of the live upstream connections: PostgreSQL sees them as
   * `pg_stat_activity.client_port`, which tells this proxy's backends from another's.
   */
  upstreamPorts(): number[] {
    return [...this.links].map((link) => link.upstream.localPort).filter((port): port is number => port !== undefined);
  }

  get connections(): number {
    return this.links.size;
  }

  async close(): Promise<void> {
    this.cut('refuse');
    for (const socket of this.held) socket.destroy();
    this.held.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    if (this.cutMode === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    if (this.cutMode === 'blackhole') {
      this.held.add(client);
      client.on('error', () => undefined);
      client.on('close', () => this.held.delete(client));
      return;
    }
    const upstream = createConnection({ host: this.target.host, port: this.target.port });
    const link = new Link(
      client,
      upstream,
      () => this.delayMs,
      (closed) => this.links.delete(closed),
    );
    this.links.add(link);
    client.resume();
  }
}

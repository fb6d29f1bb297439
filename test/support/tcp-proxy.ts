import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** One proxied connection: the app's side, and PostgreSQL's side while bytes still pass. */
interface Link {
  client: Socket;
  upstream: Socket | undefined;
}

/**
 * A TCP proxy in front of this worker's PostgreSQL (node:net, 127.0.0.1 on a free port), so
 * one app instance, or one client, can lose its database while everything else keeps it:
 * - `cut()`: every connection is destroyed and new ones are refused (the host is gone);
 * - `blackhole()`: nothing passes any more, and nothing says so: open connections stay open
 *   but silent forever (their packets are lost; only `cut()` ends them), new ones are
 *   accepted and never answered (the host hangs);
 * - `restore()`: new connections are forwarded again, on the same port.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly links = new Set<Link>();
  private forwarding = true;
  private port = 0;
  /** Connections accepted so far (forwarded or not): connection attempts, as the server saw them. */
  accepted = 0;

  private constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** A proxy to the PostgreSQL of `databaseUrl` (this worker's database by default), forwarding. */
  static async start(databaseUrl = process.env.DATABASE_URL!): Promise<TcpProxy> {
    const target = new URL(databaseUrl);
    const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    await proxy.restore();
    return proxy;
  }

  /** `databaseUrl` (this worker's database by default) reached through the proxy. */
  url(databaseUrl = process.env.DATABASE_URL!): string {
    const url = new URL(databaseUrl);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }

  /** Forwards new connections again; connections black-holed before stay silent. */
  restore(): Promise<void> {
    return this.listen(true);
  }

  /** Destroys every connection and refuses new ones. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const link of this.links) {
      link.client.destroy();
      link.upstream?.destroy();
    }
    this.links.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Nothing passes any more and no one is told: see the class comment. */
  async blackhole(): Promise<void> {
    for (const link of this.links) this.silence(link);
    await this.listen(false);
  }

  /** Stops listening and ends every connection (after the apps using it closed). */
  stop(): Promise<void> {
    return this.cut();
  }

  private async listen(forwarding: boolean): Promise<void> {
    this.forwarding = forwarding;
    if (this.server) return;
    const server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  private accept(client: Socket): void {
    this.accepted++;
    const link: Link = { client, upstream: undefined };
    this.links.add(link);
    client.on('error', () => client.destroy());
    client.on('close', () => {
      link.upstream?.destroy();
      this.links.delete(link);
    });
    if (!this.forwarding) return;
    const upstream = connect(this.targetPort, this.targetHost);
    link.upstream = upstream;
    upstream.on('error', () => upstream.destroy());
    upstream.on('close', () => {
      if (link.upstream === upstream) client.destroy();
    });
    client.pipe(upstream).pipe(client);
  }

  /** The server side goes away (PostgreSQL ends that backend); the client side is left hanging. */
  private silence(link: Link): void {
    const upstream = link.upstream;
    if (!upstream) return;
    link.upstream = undefined;
    link.client.unpipe(upstream);
    upstream.unpipe(link.client);
    upstream.destroy();
    link.client.resume();
  }
}

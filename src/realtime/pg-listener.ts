import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Client } from 'pg';
import { databaseConfig } from '../config/database.config';

export type NotificationHandler = (channel: string, payload: string) => void;

const MAX_BACKOFF_MS = 5000;

/**
 * One dedicated connection per instance that LISTENs on the realtime channels. NOTIFY is
 * at-most-once: when this connection drops, it reconnects with backoff and then calls the
 * `onReconnect` handlers, which catch up from the event log, so nothing is lost.
 */
@Injectable()
export class PgListener implements OnApplicationShutdown {
  private readonly logger = new Logger(PgListener.name);
  private client: Client | null = null;
  private channels: string[] = [];
  private handler: NotificationHandler = () => undefined;
  private readonly reconnectHandlers: (() => void)[] = [];
  private stopped = false;
  private backoffMs = 100;
  private timer: NodeJS.Timeout | undefined;

  constructor(@Inject(databaseConfig.KEY) private readonly config: ConfigType<typeof databaseConfig>) {}

  /** Starts listening; resolves once the first connection is up (or fails loudly). */
  async listen(channels: string[], handler: NotificationHandler): Promise<void> {
    this.channels = channels;
    this.handler = handler;
    await this.connect();
  }

  onReconnect(handler: () => void): void {
    this.reconnectHandlers.push(handler);
  }

  get connected(): boolean {
    return this.client !== null;
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const connection = this.config.external!;
    const client = new Client({
      connectionString: connection.url,
      // false, not undefined: node-postgres would read PGSSLMODE from the environment instead.
      ssl: connection.ssl,
      application_name: 'cartsync-listener',
      // A server that accepts but never answers fails the attempt (then retried with backoff)
      // instead of hanging it, with item:checking and presence lost all along; keepalive
      // lets the OS notice an established connection whose server vanished.
      connectionTimeoutMillis: this.config.connectTimeoutMs,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    client.on('notification', (message) => this.handler(message.channel, message.payload ?? ''));
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      for (const channel of this.channels) await client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    this.client = client;
    this.backoffMs = 100;
  }

  private lost(client: Client, error?: Error): void {
    if (this.client !== client || this.stopped) return;
    this.client = null;
    this.logger.warn(`listener connection lost${error ? `: ${error.message}` : ''}; reconnecting`);
    client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.connect().then(
        () => {
          this.logger.log('listener reconnected; catching up from the event log');
          for (const handler of this.reconnectHandlers) handler();
        },
        (error: Error) => {
          this.logger.warn(`listener reconnect failed: ${error.message}`);
          this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
          this.scheduleReconnect();
        },
      );
    }, this.backoffMs);
  }
}

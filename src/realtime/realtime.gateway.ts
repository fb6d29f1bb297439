import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, Server } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { RawData, WebSocket, WebSocketServer } from 'ws';
import { AuthService } from '../auth/auth.service';
import { AuthUser } from '../common/decorators/current-user.decorator';
import { sha256 } from '../common/crypto/secrets';
import { Draining } from '../common/lifecycle/draining';
import { requestId } from '../common/logging/logging.module';
import { redactUrl } from '../common/logging/redact';
import { appConfig } from '../config/app.config';
import { realtimeConfig } from '../config/realtime.config';
import { ListsRepository } from '../lists/lists.repository';
import { LogPosition } from './event-log.repository';
import { CloseCode, ListConnection } from './list-connection';
import { RealtimeHub } from './realtime.hub';
import { RealtimeRepository } from './realtime.repository';

const PATH = /^\/ws\/lists\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/?$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return data instanceof ArrayBuffer ? Buffer.from(data).toString('utf8') : data.toString('utf8');
}

class HandshakeError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * `ws://HOST/ws/lists/:listId?token=…|ticket=…[&since=N]`. Nest's WsAdapter matches paths
 * exactly and speaks `{event, data}`; the app needs a path parameter and `{type, payload}`,
 * so upgrades are handled here on the HTTP server, with `ws` in noServer mode: the token or
 * ticket, the session and the membership are checked before the upgrade, and a refusal is
 * a real HTTP 401/403/404 with the contract's error body.
 */
@Injectable()
export class RealtimeGateway implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RealtimeGateway.name);
  private readonly wss: WebSocketServer;
  private heartbeat: NodeJS.Timeout | undefined;
  private beating = false;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly hub: RealtimeHub,
    private readonly auth: AuthService,
    private readonly repository: RealtimeRepository,
    private readonly lists: ListsRepository,
    draining: Draining,
    @Inject(realtimeConfig.KEY) private readonly config: ConfigType<typeof realtimeConfig>,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: config.maxPayloadBytes, clientTracking: false });
    draining.onDrain(() => this.hub.closeAll(CloseCode.GoingAway, 'server shutting down'));
  }

  onApplicationBootstrap(): void {
    const server = this.adapterHost.httpAdapter.getHttpServer() as Server;
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.upgrade(request, socket, head).catch((error: unknown) => {
        this.logger.error({ err: error, url: redactUrl(request.url ?? '') }, 'handshake failed');
        this.refuse(socket, request, new HandshakeError(500, 'Something went wrong on our side; please try again.'));
      });
    });
    this.heartbeat = setInterval(() => {
      if (this.beating) return;
      this.beating = true;
      this.beat()
        .catch((error: unknown) => this.logger.warn({ err: error }, 'heartbeat failed'))
        .finally(() => (this.beating = false));
    }, this.config.heartbeatMs);
    this.heartbeat.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.heartbeat);
  }

  private async upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    try {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const listId = PATH.exec(url.pathname)?.[1]?.toLowerCase();
      if (!listId) throw new HandshakeError(404, 'No WebSocket endpoint at this path.');
      const origin = request.headers.origin;
      if (origin !== undefined && !this.app.corsOrigins.includes(origin)) {
        throw new HandshakeError(403, 'This origin is not allowed.');
      }
      const since = this.parseSince(url.searchParams.get('since'));
      const user = await this.authenticate(url.searchParams, listId);
      if (!(await this.lists.roleOf(listId, user.id))) throw new HandshakeError(404, 'List not found.');
      // Read before the 101 goes out: every event committed after the client sees the socket open is delivered.
      const position = await this.hub.position(listId);
      if (!position) throw new HandshakeError(404, 'List not found.');
      this.wss.handleUpgrade(request, socket, head, (ws) => void this.open(ws, listId, user, since, position));
    } catch (error) {
      if (!(error instanceof HandshakeError)) throw error;
      this.refuse(socket, request, error);
    }
  }

  private async authenticate(params: URLSearchParams, listId: string): Promise<AuthUser> {
    const ticket = params.get('ticket');
    if (ticket) {
      const grant = await this.repository.redeemTicket(sha256(ticket));
      if (!grant || grant.listId !== listId) throw new HandshakeError(401, 'The ticket is invalid, used or expired.');
      const user = { id: grant.userId, sessionId: grant.sessionId };
      if (!(await this.auth.isSessionLive(user)))
        throw new HandshakeError(401, 'Your session has ended; please sign in again.');
      return user;
    }
    const token = params.get('token');
    const user = token ? await this.auth.verifyToken(token) : null;
    if (!user) throw new HandshakeError(401, 'Authentication required: pass ?token= or ?ticket=.');
    return user;
  }

  private parseSince(raw: string | null): number | undefined {
    if (raw === null) return undefined;
    if (!/^\d{1,15}$/.test(raw)) throw new HandshakeError(400, 'since must be a non-negative integer.');
    return Number(raw);
  }

  private async open(
    ws: WebSocket,
    listId: string,
    user: AuthUser,
    since: number | undefined,
    position: LogPosition,
  ): Promise<void> {
    const connection = new ListConnection(ws, listId, user, this.config);
    ws.on('pong', () => (connection.alive = true));
    ws.on('message', (data: RawData, isBinary: boolean) => {
      this.onMessage(connection, data, isBinary).catch((error: unknown) => {
        this.logger.warn({ err: error }, 'client frame failed');
        connection.send({ type: 'error', payload: { message: 'That frame could not be handled; try again.' } });
      });
    });
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      this.hub.leave(connection).catch((error: unknown) => this.logger.warn({ err: error }, 'leave failed'));
    });
    try {
      await this.hub.join(connection, since, position);
    } catch (error) {
      this.logger.error({ err: error }, 'could not subscribe a socket');
      connection.close(1011, 'try again');
    }
  }

  private async onMessage(connection: ListConnection, data: RawData, isBinary: boolean): Promise<void> {
    if (!connection.messages.take()) {
      connection.close(CloseCode.PolicyViolation, 'too many messages');
      return;
    }
    let frame: { type?: unknown; payload?: unknown };
    try {
      frame = isBinary ? {} : (JSON.parse(rawText(data)) as { type?: unknown; payload?: unknown });
    } catch {
      frame = {};
    }
    switch (frame?.type) {
      case 'ping':
        connection.send({ type: 'pong' });
        return;
      case 'item:checking': {
        const itemId = (frame.payload as { itemId?: unknown } | undefined)?.itemId;
        if (typeof itemId !== 'string' || !UUID.test(itemId)) {
          connection.send({ type: 'error', payload: { message: 'item:checking needs payload.itemId (a UUID).' } });
          return;
        }
        if (!connection.checking.take()) {
          connection.send({ type: 'error', payload: { message: 'item:checking is rate-limited; slow down.' } });
          return;
        }
        if (!(await this.repository.itemOnList(connection.listId, itemId))) {
          connection.send({ type: 'error', payload: { message: 'That item is not on this list.' } });
          return;
        }
        await this.hub.relayChecking(connection, itemId.toLowerCase());
        return;
      }
      default:
        connection.send({
          type: 'error',
          payload: {
            message: 'Unsupported frame: send {"type":"ping"} or {"type":"item:checking","payload":{"itemId":"…"}}.',
          },
        });
    }
  }

  /** Drops peers that missed a ping, and sockets whose session was revoked meanwhile. */
  private async beat(): Promise<void> {
    for (const connection of this.hub.connections()) {
      if (!connection.alive) {
        connection.ws.terminate();
        continue;
      }
      connection.alive = false;
      connection.ws.ping();
      const live = await this.auth.isSessionLive(connection.user).catch(() => true);
      if (!live) connection.close(CloseCode.SessionEnded, 'session ended');
    }
  }

  private refuse(socket: Duplex, request: IncomingMessage, error: HandshakeError): void {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const id = requestId(request, { setHeader: () => undefined } as never);
    const body = JSON.stringify({
      statusCode: error.status,
      error: STATUS_CODES[error.status] ?? 'Error',
      message: error.message,
      requestId: id,
    });
    socket.end(
      `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status]}\r\n` +
        `Connection: close\r\nContent-Type: application/json; charset=utf-8\r\nX-Request-ID: ${id}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
}

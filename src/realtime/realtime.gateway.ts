import {
  Inject,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  UseFilters,
  UsePipes,
  ValidationPipe,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import {
  ConnectedSocket,
  MessageBody,
  OnGatewayConnection,
  OnGatewayDisconnect,
  SubscribeMessage,
  WebSocketGateway,
  WsException,
} from '@nestjs/websockets';
import type { IncomingMessage } from 'node:http';
import { WebSocket } from 'ws';
import { Clock } from '../common/clock/clock';
import { AuthUser } from '../common/decorators/current-user.decorator';
import { Draining } from '../common/lifecycle/draining';
import { realtimeConfig } from '../config/realtime.config';
import { EventLogRepository } from '../events/event-log.repository';
import { Metrics } from '../metrics/metrics';
import { AccessTokens } from '../sessions/access-tokens';
import { ItemCheckingDto } from './dto/item-checking.dto';
import { FrameRenderer, FrameRenderers } from './frame-renderers';
import { CloseCode, ListConnection } from './list-connection';
import { clientFrame, ListEventPayloads, ListEventType } from './list-events';
import type { Frame } from './list-socket.adapter';
import { Handshake } from './realtime-handshake';
import { RealtimeHub } from './realtime.hub';
import { RealtimeRepository } from './realtime.repository';
import { WsErrorFilter } from './ws-error.filter';

const framePipe = new ValidationPipe({
  whitelist: true,
  transform: true,
  exceptionFactory: (errors) =>
    new WsException(Object.values(errors[0]?.constraints ?? {})[0] ?? 'The frame payload is not valid.'),
});

/**
 * `ws://HOST/ws/lists/:listId` (docs/REALTIME.md). The handshake is decided before the 101
 * (`RealtimeHandshake`, through `ListSocketAdapter`); here a socket joins its list's room,
 * client frames are handled, and services emit their writes' events.
 */
@WebSocketGateway({ path: '/ws/lists/:listId' })
@UseFilters(WsErrorFilter)
@UsePipes(framePipe)
export class RealtimeGateway
  implements
    OnGatewayConnection<WebSocket>,
    OnGatewayDisconnect<WebSocket>,
    OnApplicationBootstrap,
    OnApplicationShutdown
{
  private readonly logger = new Logger(RealtimeGateway.name);
  private readonly sockets = new WeakMap<WebSocket, ListConnection>();
  /** Connections whose client proved a new receipt since the last heartbeat round. */
  private readonly pendingAcks = new Set<ListConnection>();
  private heartbeat: NodeJS.Timeout | undefined;
  private beating = false;
  private readonly frameSent = (type: string) => this.metrics.frameSent(type);

  constructor(
    private readonly hub: RealtimeHub,
    private readonly log: EventLogRepository,
    private readonly renderers: FrameRenderers,
    private readonly tokens: AccessTokens,
    private readonly repository: RealtimeRepository,
    private readonly clock: Clock,
    draining: Draining,
    @Inject(realtimeConfig.KEY) private readonly config: ConfigType<typeof realtimeConfig>,
    private readonly metrics: Metrics,
  ) {
    draining.onDrain(() => this.hub.closeAll(CloseCode.GoingAway, 'server shutting down'));
  }

  /**
   * Appends a list's event inside the caller's transaction: it is delivered after commit
   * (NOTIFY → hub → sockets) and never if the write rolls back.
   */
  emit<T extends ListEventType>(
    listId: string,
    type: T,
    payload: ListEventPayloads[T],
    actor: AuthUser,
  ): Promise<number> {
    return this.log.append(listId, type, payload, actor);
  }

  /** Inside the deleting transaction: on commit, the list's sockets are closed with 4404. */
  listDeleted(listId: string): Promise<void> {
    return this.log.notifyDeleted(listId);
  }

  /** For payloads that carry a reference to sign when sent (receipts), never a secret in the log. */
  renderWith(types: ListEventType[], renderer: FrameRenderer): void {
    this.renderers.register(types, renderer);
  }

  handleConnection(ws: WebSocket, request: IncomingMessage & { handshake: Handshake }): void {
    const { listId, user, start, position, joinedSeq, fullStream, connectionId } = request.handshake;
    const now = () => this.clock.now().getTime();
    const connection = new ListConnection(ws, listId, user, this.config, now, fullStream, connectionId, this.frameSent);
    this.sockets.set(ws, connection);
    this.metrics.socketOpened();
    ws.on('pong', (data: Buffer) => this.onPong(connection, data));
    ws.on('error', () => ws.terminate());
    this.hub.join(connection, start, position, joinedSeq).then(
      () =>
        this.startingPointProven(connection).catch((error: unknown) =>
          this.logger.warn({ err: error }, 'saving the starting point failed'),
        ),
      (error: unknown) => {
        this.logger.error({ err: error }, 'could not subscribe a socket');
        connection.close(1011, 'try again');
      },
    );
  }

  handleDisconnect(ws: WebSocket): void {
    const connection = this.sockets.get(ws);
    if (!connection) return;
    this.metrics.socketClosed();
    this.hub.leave(connection).catch((error: unknown) => this.logger.warn({ err: error }, 'leave failed'));
    // What it proved before going away is what its session resumes from.
    if (this.pendingAcks.has(connection)) {
      this.saveAcks().catch((error: unknown) => this.logger.warn({ err: error }, 'saving receipts failed'));
    }
  }

  @SubscribeMessage(clientFrame('ping'))
  ping(): Frame {
    return { type: 'pong' };
  }

  /** Relayed to the list's other connections on every instance; the item must be on the list. */
  @SubscribeMessage(clientFrame('item:checking'))
  async checking(@ConnectedSocket() ws: WebSocket, @MessageBody() dto: ItemCheckingDto): Promise<void> {
    const connection = this.sockets.get(ws);
    if (!connection) return;
    if (!connection.checking.take()) throw new WsException('item:checking is rate-limited; slow down.');
    const itemId = dto.itemId.toLowerCase();
    if (!(await this.repository.itemOnList(connection.listId, itemId))) {
      throw new WsException('That item is not on this list.');
    }
    await this.hub.relayChecking(connection, itemId);
  }

  onApplicationBootstrap(): void {
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

  /**
   * Drops peers that missed a ping and sockets whose session was revoked meanwhile. Each
   * ping carries the connection's cursor: the client's automatic pong echoes it, which
   * proves every frame before it arrived (frames written into a half-open socket prove
   * nothing). The proofs of the last round are stored in one statement.
   */
  private async beat(): Promise<void> {
    await this.saveAcks();
    for (const connection of this.hub.connections()) {
      if (!connection.alive) {
        connection.ws.terminate();
        continue;
      }
      connection.alive = false;
      connection.ws.ping(String(connection.cursor));
      const live = await this.tokens.isLive(connection.user).catch(() => true);
      if (!live) connection.close(CloseCode.SessionEnded, 'session ended');
    }
  }

  /**
   * The app opens its socket right after loading the list (or resumes from a proof), so where
   * delivery starts is known to it: recorded at once, a drop before the first heartbeat still
   * resumes from there.
   */
  private async startingPointProven(connection: ListConnection): Promise<void> {
    if (connection.fullStream || !connection.open) return;
    connection.acked = connection.cursor;
    const { sessionId } = connection.user;
    await this.repository.saveAcks(
      [{ sessionId, listId: connection.listId, seq: connection.cursor }],
      this.clock.now(),
    );
  }

  private onPong(connection: ListConnection, data: Buffer): void {
    connection.alive = true;
    const text = data.toString('latin1');
    if (!/^\d{1,15}$/.test(text)) return;
    const seq = Number(text);
    if (seq <= connection.acked || seq > connection.cursor) return;
    connection.acked = seq;
    this.pendingAcks.add(connection);
  }

  private async saveAcks(): Promise<void> {
    if (this.pendingAcks.size === 0) return;
    const latest = new Map<string, { sessionId: string; listId: string; seq: number }>();
    for (const connection of this.pendingAcks) {
      const key = `${connection.user.sessionId}:${connection.listId}`;
      const seq = Math.max(connection.acked, latest.get(key)?.seq ?? 0);
      latest.set(key, { sessionId: connection.user.sessionId, listId: connection.listId, seq });
    }
    this.pendingAcks.clear();
    await this.repository.saveAcks([...latest.values()], this.clock.now());
  }
}

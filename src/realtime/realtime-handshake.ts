import {
  BadRequestException,
  ForbiddenException,
  Inject,
  Injectable,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { IncomingMessage } from 'node:http';
import { ListAccess } from '../access/list-access.service';
import { Clock } from '../common/clock/clock';
import { sha256 } from '../common/crypto/secrets';
import { AuthUser } from '../common/decorators/current-user.decorator';
import { Throttles } from '../common/rate-limit/throttles';
import { appConfig } from '../config/app.config';
import { realtimeConfig } from '../config/realtime.config';
import { EventLogRepository, LogPosition } from '../events/event-log.repository';
import { AccessTokens } from '../sessions/access-tokens';
import { RealtimeRepository } from './realtime.repository';
import { SocketSlots } from './socket-slots';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What a socket was admitted with; the gateway reads it from the upgrade request. */
export interface Handshake {
  listId: string;
  user: AuthUser;
  /**
   * Where delivery starts. `since`: what the client asked for. `resume`: the app's way of
   * reconnecting (token, no `since`) within WS_RESUME_WINDOW_SEC of its session's last
   * proven receipt on this list: what it missed is replayed first.
   */
  start: { since?: number; resume?: number };
  /** The list's log position, read before membership and the 101: nothing committed later is missed. */
  position: LogPosition;
  /** The list's seq when the user joined: nothing older is replayed to them. */
  joinedSeq: number;
  /** Asked for the whole stream (`since` or a ticket): gets the echo of its own session's changes, with gap-free seq. */
  fullStream: boolean;
  /** The connection's row in ws_connections, reserved last (within the socket limits). */
  connectionId: string;
}

/**
 * `ws://HOST/ws/lists/:listId?token=…|ticket=…[&since=N]`, decided before the upgrade:
 * the origin, the token or single-use ticket with its live session, the user's handshake
 * throttle, membership, and the list's position in its log. A refusal is an HttpException
 * (or an ApiError: 429 with Retry-After), answered as real HTTP.
 */
@Injectable()
export class RealtimeHandshake {
  constructor(
    private readonly tokens: AccessTokens,
    private readonly access: ListAccess,
    private readonly repository: RealtimeRepository,
    private readonly log: EventLogRepository,
    private readonly slots: SocketSlots,
    private readonly throttles: Throttles,
    private readonly clock: Clock,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
    @Inject(realtimeConfig.KEY) private readonly config: ConfigType<typeof realtimeConfig>,
  ) {}

  async check(request: IncomingMessage, params: Record<string, string>): Promise<Handshake> {
    const listId = params.listId?.toLowerCase() ?? '';
    if (!UUID.test(listId)) throw new NotFoundException('No WebSocket endpoint at this path.');
    const origin = request.headers.origin;
    // The web client served at / by this server is its own origin: allowed without CORS_ORIGINS.
    if (
      origin !== undefined &&
      !this.app.corsOrigins.includes(origin) &&
      !isOwnOrigin(origin, request, this.app.publicUrl)
    ) {
      throw new ForbiddenException('This origin is not allowed.');
    }
    const query = new URL(request.url ?? '/', 'http://localhost').searchParams;
    const since = this.parseSince(query.get('since'));
    const { user, ticket } = await this.authenticate(query, listId);
    // Per user, every authenticated attempt: a reconnect loop cannot make each instance redo this work without end.
    await this.throttles.take({ wsHandshakePerUser: user.id });
    // Position first, membership second: a removal committed in between is refused here,
    // one committed later is in the log after this position and closes the socket.
    const position = await this.log.position(listId);
    const membership = position ? await this.access.membership(user.id, listId) : null;
    if (!position || !membership) throw new NotFoundException('List not found.');
    const fullStream = ticket || since !== undefined;
    const resume = fullStream ? undefined : await this.lastReceived(user, listId);
    const connectionId = await this.slots.reserve(user.id, listId);
    return {
      listId,
      user,
      start: { since, resume },
      position,
      joinedSeq: membership.joinedSeq,
      fullStream,
      connectionId,
    };
  }

  /** An admitted handshake that did not become a socket gives its slot back. */
  abandoned(handshake: Handshake): void {
    this.slots.release(handshake.connectionId);
  }

  /** The seq this session's socket on this list provably received, if recent enough to resume from. */
  private async lastReceived(user: AuthUser, listId: string): Promise<number | undefined> {
    const after = new Date(this.clock.now().getTime() - this.config.resumeWindowMs);
    return (await this.repository.lastAck(user.sessionId, listId, after)) ?? undefined;
  }

  private async authenticate(query: URLSearchParams, listId: string): Promise<{ user: AuthUser; ticket: boolean }> {
    const ticket = query.get('ticket');
    if (ticket) {
      const grant = await this.repository.redeemTicket(sha256(ticket), this.clock.now());
      if (!grant || grant.listId !== listId) throw new UnauthorizedException('The ticket is invalid, used or expired.');
      const user = { id: grant.userId, sessionId: grant.sessionId };
      if (!(await this.tokens.isLive(user))) {
        throw new UnauthorizedException('Your session has ended; please sign in again.');
      }
      return { user, ticket: true };
    }
    const token = query.get('token');
    const user = token ? await this.tokens.verify(token) : null;
    if (!user) throw new UnauthorizedException('Authentication required: pass ?token= or ?ticket=.');
    return { user, ticket: false };
  }

  private parseSince(raw: string | null): number | undefined {
    if (raw === null) return undefined;
    if (!/^\d{1,15}$/.test(raw)) throw new BadRequestException('since must be a non-negative integer.');
    return Number(raw);
  }
}

/** `origin` is this server's: its PUBLIC_URL, or the host the request was sent to. */
function isOwnOrigin(origin: string, request: IncomingMessage, publicUrl: string): boolean {
  if (origin === new URL(publicUrl).origin) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

import { ConflictException, Inject, Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { AuthUser } from '../common/decorators/current-user.decorator';
import { newInviteCode, newOpaqueToken, sha256 } from '../common/crypto/secrets';
import { authConfig } from '../config/auth.config';
import { ListsRepository } from '../lists/lists.repository';
import { toUserResponse, UserResponse } from '../users/dto/user.response';
import { UserEntity } from '../users/user.entity';
import { UsersRepository } from '../users/users.repository';
import { LoginDto, LogoutDto, RefreshDto, RegisterDto } from './dto/auth.dto';
import { AuthResponse, SessionResponse } from './dto/auth.response';
import { PasswordHasher } from './password-hasher';
import { SessionLiveness } from './session-liveness';
import { SessionsRepository } from './sessions.repository';

/** Where a login comes from, kept on the session for "where am I signed in". */
export interface ClientInfo {
  userAgent: string | null;
  ip: string | null;
}

export interface AccessClaims {
  sub: string;
  sid: string;
}

const INVITE_CODE_ATTEMPTS = 5;
const LIST_NAME_MAX = 100;
const LIST_SUFFIX = "'s List";

/** "<name>'s List", the name shortened so the whole stays within the list-name limit. */
export function firstListName(name: string): string {
  return `${name.slice(0, LIST_NAME_MAX - LIST_SUFFIX.length).trimEnd()}${LIST_SUFFIX}`;
}

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersRepository,
    private readonly lists: ListsRepository,
    private readonly sessions: SessionsRepository,
    private readonly liveness: SessionLiveness,
    private readonly hasher: PasswordHasher,
    private readonly jwt: JwtService,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
  ) {}

  /** Creates the user and their first list ("<name>'s List", cut to fit 100 characters) in one transaction. */
  async register(dto: RegisterDto, client: ClientInfo): Promise<AuthResponse> {
    const passwordHash = await this.hasher.hash(dto.password);
    for (let attempt = 0; attempt < INVITE_CODE_ATTEMPTS; attempt++) {
      const created = await this.users.registerWithFirstList(
        { email: dto.email, name: dto.name, passwordHash },
        { name: firstListName(dto.name), inviteCode: newInviteCode() },
      );
      if (created === 'email-taken') throw new ConflictException('An account with that email already exists.');
      if (created) return this.startSession(created.user, [created.listId], client);
    }
    throw new Error('Could not find a free invite code');
  }

  /** Unknown emails spend one password verification too, so timing does not reveal accounts. */
  async login(dto: LoginDto, client: ClientInfo): Promise<AuthResponse> {
    const user = await this.users.findByEmail(dto.email);
    const valid = user
      ? await this.hasher.verify(user.passwordHash, dto.password)
      : await this.hasher.verifyNothing(dto.password);
    if (!user || !valid) throw new UnauthorizedException('The email or password is incorrect.');
    return this.startSession(user, await this.lists.listIdsOf(user.id), client);
  }

  async refresh(dto: RefreshDto): Promise<AuthResponse> {
    const next = newOpaqueToken();
    const outcome = await this.sessions.rotateRefreshToken(
      sha256(dto.refreshToken),
      sha256(next),
      this.sessionExpiry(),
    );
    switch (outcome.kind) {
      case 'invalid':
        throw new UnauthorizedException('The refresh token is invalid or has expired.');
      case 'reused':
        this.liveness.forget([outcome.sessionId]);
        throw new UnauthorizedException('That refresh token was already used; the session has been ended.');
      case 'rotated': {
        const user = await this.users.findById(outcome.session.userId);
        if (!user) throw new UnauthorizedException('The refresh token is invalid or has expired.');
        return this.respond(user, await this.lists.listIdsOf(user.id), outcome.session.id, next);
      }
    }
  }

  async logout(user: AuthUser, dto: LogoutDto): Promise<void> {
    const revoked = dto.everywhere
      ? await this.sessions.revokeAll(user.id)
      : (await this.sessions.revoke(user.sessionId, user.id))
        ? [user.sessionId]
        : [];
    this.liveness.forget(revoked);
  }

  async me(user: AuthUser): Promise<UserResponse> {
    const found = await this.users.findById(user.id);
    if (!found) throw new UnauthorizedException('Authentication required.');
    return toUserResponse(found, await this.lists.listIdsOf(user.id));
  }

  async listSessions(user: AuthUser): Promise<SessionResponse[]> {
    const sessions = await this.sessions.listLive(user.id);
    return sessions.map((s) => ({
      id: s.id,
      createdAt: s.createdAt.toISOString(),
      lastUsedAt: s.lastUsedAt.toISOString(),
      expiresAt: s.expiresAt.toISOString(),
      userAgent: s.userAgent,
      ip: s.ip,
      current: s.id === user.sessionId,
    }));
  }

  async revokeSession(user: AuthUser, sessionId: string): Promise<void> {
    if (!(await this.sessions.revoke(sessionId, user.id))) throw new NotFoundException('Session not found.');
    this.liveness.forget([sessionId]);
  }

  /** A raw access token (WebSocket handshakes): signature (HS256 only), expiry, live session. */
  async verifyToken(token: string): Promise<AuthUser | null> {
    let claims: AccessClaims;
    try {
      claims = await this.jwt.verifyAsync<AccessClaims>(token);
    } catch {
      return null;
    }
    return this.authenticate(claims);
  }

  isSessionLive(user: AuthUser): Promise<boolean> {
    return this.liveness.isLive(user.sessionId, user.id);
  }

  /** Verifies an access token: signature (HS256 only), expiry, and that its session is live. */
  async authenticate(claims: AccessClaims): Promise<AuthUser | null> {
    if (typeof claims.sub !== 'string' || typeof claims.sid !== 'string') return null;
    return (await this.liveness.isLive(claims.sid, claims.sub)) ? { id: claims.sub, sessionId: claims.sid } : null;
  }

  private async startSession(user: UserEntity, listIds: string[], client: ClientInfo): Promise<AuthResponse> {
    const refreshToken = newOpaqueToken();
    const session = await this.sessions.create({
      userId: user.id,
      userAgent: client.userAgent?.slice(0, 256) ?? null,
      ip: client.ip,
      expiresAt: this.sessionExpiry(),
      refreshTokenHash: sha256(refreshToken),
    });
    return this.respond(user, listIds, session.id, refreshToken);
  }

  private async respond(
    user: UserEntity,
    listIds: string[],
    sessionId: string,
    refreshToken: string,
  ): Promise<AuthResponse> {
    const claims: AccessClaims = { sub: user.id, sid: sessionId };
    const token = await this.jwt.signAsync(claims);
    return {
      token,
      user: toUserResponse(user, listIds),
      listIds,
      refreshToken,
      expiresAt: new Date(Date.now() + this.config.accessTtlMs).toISOString(),
    };
  }

  /** A session lives as long as its longest credential. */
  private sessionExpiry(): Date {
    return new Date(Date.now() + Math.max(this.config.accessTtlMs, this.config.refreshTtlMs));
  }
}

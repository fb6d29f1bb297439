import { Transactional } from '@nestjs-cls/transactional';
import { ConflictException, Inject, Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../common/clock/clock';
import { ClientInfo } from '../common/decorators/client-info.decorator';
import { AuthUser } from '../common/decorators/current-user.decorator';
import { newOpaqueToken, sha256 } from '../common/crypto/secrets';
import { Subjects, Throttles } from '../common/rate-limit/throttles';
import { authConfig } from '../config/auth.config';
import { ListsRepository } from '../lists/lists.repository';
import { ListsService } from '../lists/lists.service';
import { AccessTokens } from '../sessions/access-tokens';
import { SessionLiveness } from '../sessions/session-liveness';
import { SessionsRepository } from '../sessions/sessions.repository';
import { toUserResponse, UserResponse } from '../users/dto/user.response';
import { UserEntity } from '../users/user.entity';
import { UsersRepository } from '../users/users.repository';
import { LoginDto, LogoutDto, RefreshDto, RegisterDto } from './dto/auth.dto';
import { AuthResponse, SessionResponse, toSessionResponse } from './dto/auth.response';
import { PasswordHasher } from './password-hasher';

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
    private readonly listsService: ListsService,
    private readonly sessions: SessionsRepository,
    private readonly liveness: SessionLiveness,
    private readonly tokens: AccessTokens,
    private readonly hasher: PasswordHasher,
    private readonly throttles: Throttles,
    private readonly clock: Clock,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
  ) {}

  /**
   * Creates the user, their first list ("<name>'s List", cut to fit 100 characters) and a
   * session in one unit of work. Every sign-up counts against the caller's address before
   * any hashing, a known email's 409 included: the 409 cannot be an unlimited oracle.
   */
  async register(dto: RegisterDto, client: ClientInfo): Promise<AuthResponse> {
    const attempt: Subjects = { registerPerIp: client.ip };
    await this.throttles.take(attempt);
    const passwordHash = await this.refundUnlessTried(attempt, () => this.hasher.hash(dto.password));
    return this.createAccount(dto, passwordHash, client);
  }

  /**
   * Failed sign-ins are limited per account (any email, known or not) and per address. The
   * attempt is counted before the password is checked, so parallel guesses cannot slip past
   * the limit and a locked account answers 429 even to the right password; a successful
   * sign-in gives its attempt back (it does not reset the count: the owner signing in
   * does not hand a guesser a fresh budget). Unknown emails spend one verification too, so
   * timing does not reveal accounts.
   */
  async login(dto: LoginDto, client: ClientInfo): Promise<AuthResponse> {
    const attempt: Subjects = { loginPerAccount: dto.email, loginPerIp: client.ip };
    await this.throttles.take(attempt);
    const user = await this.refundUnlessTried(attempt, async () => {
      const found = await this.users.findByEmail(dto.email);
      const valid = found
        ? await this.hasher.verify(found.passwordHash, dto.password)
        : await this.hasher.verifyNothing(dto.password);
      return valid ? found : null;
    });
    if (!user) throw new UnauthorizedException('The email or password is incorrect.');
    await this.throttles.refund(attempt);
    const rehashed = await this.rehash(user, dto.password);
    return this.signIn(user, rehashed, client);
  }

  /**
   * A hash in an older scheme (bcrypt from the old server) that just verified is replaced by
   * argon2id. Computed before the unit of work opens (no transaction held while hashing); when
   * the hasher is full, the sign-in goes ahead and the next one rehashes.
   */
  private async rehash(user: UserEntity, password: string): Promise<string | null> {
    if (!this.hasher.needsRehash(user.passwordHash)) return null;
    return this.hasher.hash(password).catch(() => null);
  }

  /** The rehash (if any) and the new session in one unit of work. */
  @Transactional()
  private async signIn(user: UserEntity, rehashed: string | null, client: ClientInfo): Promise<AuthResponse> {
    if (rehashed) await this.users.replacePasswordHash(user.id, user.passwordHash, rehashed);
    return this.startSession(user, await this.lists.listIdsOf(user.id), client);
  }

  async refresh(dto: RefreshDto): Promise<AuthResponse> {
    const next = newOpaqueToken();
    const outcome = await this.sessions.rotateRefreshToken(
      sha256(dto.refreshToken),
      sha256(next),
      this.sessionExpiry(),
      this.clock.now(),
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
    const revoked = dto.everywhere ? await this.signOutEverywhere(user.id) : await this.signOut(user);
    this.liveness.forget(revoked);
  }

  private async signOut(user: AuthUser): Promise<string[]> {
    return (await this.sessions.revoke(user.sessionId, user.id, this.clock.now())) ? [user.sessionId] : [];
  }

  /** Every session, and every old-server token not yet bound to one: none of them binds again. */
  @Transactional()
  private async signOutEverywhere(userId: string): Promise<string[]> {
    await this.users.endLegacyTokens(userId);
    return this.sessions.revokeAll(userId, this.clock.now());
  }

  async me(user: AuthUser): Promise<UserResponse> {
    const found = await this.users.findById(user.id);
    if (!found) throw new UnauthorizedException('Authentication required.');
    return toUserResponse(found, await this.lists.listIdsOf(user.id));
  }

  async listSessions(user: AuthUser): Promise<SessionResponse[]> {
    const sessions = await this.sessions.listLive(user.id, this.clock.now());
    return sessions.map((session) => toSessionResponse(session, user.sessionId));
  }

  async revokeSession(user: AuthUser, sessionId: string): Promise<void> {
    // In the server's spelling: the database matches any, the cache of live sessions only this one.
    const id = sessionId.toLowerCase();
    if (!(await this.sessions.revoke(id, user.id, this.clock.now()))) {
      throw new NotFoundException('Session not found.');
    }
    this.liveness.forget([id]);
  }

  @Transactional()
  private async createAccount(dto: RegisterDto, passwordHash: string, client: ClientInfo): Promise<AuthResponse> {
    const user = await this.users.create({ email: dto.email, name: dto.name, passwordHash });
    if (!user) throw new ConflictException('An account with that email already exists.');
    const listId = await this.listsService.createWithOwner(user.id, firstListName(dto.name));
    return this.startSession(user, [listId], client);
  }

  private async startSession(user: UserEntity, listIds: string[], client: ClientInfo): Promise<AuthResponse> {
    const refreshToken = newOpaqueToken();
    const session = await this.sessions.create(
      {
        userId: user.id,
        userAgent: client.userAgent?.slice(0, 256) ?? null,
        ip: client.ip,
        expiresAt: this.sessionExpiry(),
        refreshTokenHash: sha256(refreshToken),
      },
      this.clock.now(),
    );
    return this.respond(user, listIds, session.id, refreshToken);
  }

  private async respond(
    user: UserEntity,
    listIds: string[],
    sessionId: string,
    refreshToken: string,
  ): Promise<AuthResponse> {
    return {
      token: await this.tokens.sign(user.id, sessionId),
      user: toUserResponse(user, listIds),
      listIds,
      refreshToken,
      expiresAt: new Date(this.clock.now().getTime() + this.config.accessTtlMs).toISOString(),
    };
  }

  /** Runs `check`; when it fails (hasher busy, database down) the password was never tried: the attempt is given back. */
  private async refundUnlessTried<T>(attempt: Subjects, check: () => Promise<T>): Promise<T> {
    try {
      return await check();
    } catch (error) {
      await this.throttles.refund(attempt).catch(() => undefined);
      throw error;
    }
  }

  /** A session lives as long as its longest credential. */
  private sessionExpiry(): Date {
    return new Date(this.clock.now().getTime() + Math.max(this.config.accessTtlMs, this.config.refreshTtlMs));
  }
}

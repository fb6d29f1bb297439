import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { Clock } from '../common/clock/clock';
import { deriveKey, hmac } from '../common/crypto/secrets';
import { AuthUser } from '../common/decorators/current-user.decorator';
import { authConfig } from '../config/auth.config';
import { SessionLiveness } from './session-liveness';
import { SessionsRepository } from './sessions.repository';

const MAX_BOUND = 10_000;

/** What the old Go server put in its tokens (internal/token/token.go): no `sub`, no `sid`. */
interface LegacyClaims {
  userId?: unknown;
  iat?: unknown;
  exp?: unknown;
  sid?: unknown;
  sub?: unknown;
}

/**
 * The old server's tokens (HS256 with its JWT_SECRET, claims `userId`, `iat`, `exp`), accepted
 * only with LEGACY_JWT_SECRET, for a user the import marked (`legacy_tokens_before`) and issued
 * before that instant. On first use a token is bound to a session row of its own (by a keyed
 * digest, never the token), so from then on it is that session: listed, revoked by logout, by
 * sign out everywhere and by a password reset like any other. A revoked session keeps its
 * digest, so the token stays dead; sign out everywhere and a reset also clear
 * `legacy_tokens_before`, so tokens never bound cannot bind any more.
 */
@Injectable()
export class LegacyTokens {
  private readonly secret: string | null;
  private readonly key: Buffer;
  /** digest → its session: a binding never changes, so after the first use only liveness is asked. */
  private readonly bound = new Map<string, { id: string; userId: string }>();

  constructor(
    private readonly jwt: JwtService,
    private readonly sessions: SessionsRepository,
    private readonly liveness: SessionLiveness,
    private readonly clock: Clock,
    @Inject(authConfig.KEY) config: ConfigType<typeof authConfig>,
  ) {
    this.secret = config.legacyJwtSecret;
    this.key = deriveKey(config.jwtSecret, 'legacy-token');
  }

  /**
   * Whether to try the old verifier for `token`: only with LEGACY_JWT_SECRET, and only for the
   * old shape (a `userId` claim, no `sid`). Ours always carry `sub` and `sid`, so they never take
   * this path and are verified once, by our key only. Reads the payload without trusting it.
   */
  handles(token: string): boolean {
    if (!this.secret) return false;
    const payload = token.split('.')[1];
    if (!payload || payload.length > 4096) return false;
    try {
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as LegacyClaims | null;
      return !!claims && typeof claims === 'object' && 'userId' in claims && !('sid' in claims);
    } catch {
      return false;
    }
  }

  /** The session an old token stands for, bound on first use; null when it is not acceptable (401). */
  async verify(token: string): Promise<AuthUser | null> {
    if (!this.secret) return null;
    const now = this.clock.now();
    let claims: LegacyClaims;
    try {
      claims = this.jwt.verify<LegacyClaims & object>(token, {
        secret: this.secret,
        algorithms: ['HS256'],
        clockTimestamp: Math.floor(now.getTime() / 1000),
      });
    } catch {
      return null;
    }
    const { userId, iat, exp } = claims;
    if (typeof userId !== 'string' || userId.length === 0 || userId.length > 200) return null;
    if (typeof iat !== 'number' || typeof exp !== 'number' || !Number.isFinite(iat) || !Number.isFinite(exp)) {
      return null;
    }
    if ('sid' in claims || 'sub' in claims) return null;
    const digest = hmac(this.key, token);
    const session =
      this.bound.get(digest) ??
      (await this.sessions.findByLegacyDigest(digest)) ??
      (await this.sessions.bindLegacyToken(digest, userId, new Date(iat * 1000), new Date(exp * 1000), now));
    if (!session) return null;
    if (!this.bound.has(digest)) {
      if (this.bound.size >= MAX_BOUND) this.bound.delete(this.bound.keys().next().value!);
      this.bound.set(digest, session);
    }
    return (await this.liveness.isLive(session.id, session.userId))
      ? { id: session.userId, sessionId: session.id }
      : null;
  }
}

import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { createSecretKey, KeyObject } from 'node:crypto';
import { AuthUser } from '../common/decorators/current-user.decorator';
import { LegacyTokens } from './legacy-tokens';
import { SessionLiveness } from './session-liveness';
import { VerifiedTokens } from './verified-tokens';

/** What an access token says: the user and the session it belongs to. */
export interface AccessClaims {
  sub: string;
  sid: string;
}

/** How many verified access tokens an instance remembers (`VerifiedTokens`): about one per device signed in. */
const REMEMBERED_TOKENS = 10_000;

/**
 * The HS256 key of access tokens, built once per app (JwtModule, the guard's strategy). Given
 * the secret as a string, jsonwebtoken builds a key object on every verification, first trying
 * (and failing) to read it as a public key: the CPU profile of `GET /lists/:id` showed that
 * attempt (`createPublicKey`) among its top functions.
 */
export function accessTokenKey(secret: string): KeyObject {
  return createSecretKey(Buffer.from(secret, 'utf8'));
}

/**
 * Access tokens: HS256 JWTs naming a session, valid while that session is live. Below the
 * features, so the HTTP guard and the WebSocket handshake share one check.
 */
@Injectable()
export class AccessTokens {
  private readonly verified = new VerifiedTokens<AccessClaims>(REMEMBERED_TOKENS);

  constructor(
    private readonly jwt: JwtService,
    private readonly liveness: SessionLiveness,
    private readonly legacy: LegacyTokens,
  ) {}

  /** Whether `token` is in the old server's shape and old tokens are accepted (then `verify` checks it, not passport). */
  isLegacy(token: string): boolean {
    return this.legacy.handles(token);
  }

  sign(userId: string, sessionId: string): Promise<string> {
    const claims: AccessClaims = { sub: userId, sid: sessionId };
    return this.jwt.signAsync(claims);
  }

  /**
   * A raw token: signature (HS256 only), expiry, live session; null when any of them fails. An
   * old server's token (with LEGACY_JWT_SECRET) is checked by its own key instead, never by ours.
   */
  async verify(token: string): Promise<AuthUser | null> {
    if (this.legacy.handles(token)) return this.legacy.verify(token);
    let claims = this.verified.recall(token);
    if (!claims) {
      try {
        claims = await this.jwt.verifyAsync<AccessClaims>(token);
      } catch {
        return null;
      }
      this.verified.remember(token, claims);
    }
    return this.authenticate(claims);
  }

  /** The claims of a token verified before and not yet expired (then it need not be verified again). */
  recallVerified(token: string): AccessClaims | undefined {
    return this.verified.recall(token);
  }

  /** `token`'s signature and expiry were verified (by passport-jwt): its claims are remembered until it expires. */
  rememberVerified(token: string, claims: AccessClaims): void {
    this.verified.remember(token, claims);
  }

  /** Claims whose signature was already verified: well-formed, and their session live. */
  async authenticate(claims: AccessClaims): Promise<AuthUser | null> {
    if (typeof claims.sub !== 'string' || typeof claims.sid !== 'string') return null;
    return (await this.liveness.isLive(claims.sid, claims.sub)) ? { id: claims.sub, sessionId: claims.sid } : null;
  }

  isLive(user: AuthUser): Promise<boolean> {
    return this.liveness.isLive(user.sessionId, user.id);
  }
}

import type { Request } from 'express';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AuthUser } from '../common/decorators/current-user.decorator';
import type { KeyObject } from 'node:crypto';
import { AccessClaims, AccessTokens } from '../sessions/access-tokens';

/** The request's bearer token (`Authorization: Bearer …`), as passport-jwt reads it. */
export const bearer = ExtractJwt.fromAuthHeaderAsBearerToken();

/** What the strategy says when the token is fine but its session is not. */
export const SESSION_ENDED = { sessionEnded: true };

/**
 * Bearer tokens for REST: passport-jwt checks the signature (HS256 only) and expiry, then the
 * session must be live. A verified token is remembered (`AccessTokens.rememberVerified`).
 */
export function bearerStrategy(key: KeyObject, tokens: AccessTokens): Strategy {
  return new Strategy(
    {
      jwtFromRequest: bearer,
      // jsonwebtoken takes the key object as it is (passport-jwt's types only name strings and buffers).
      secretOrKey: key as unknown as string,
      algorithms: ['HS256'],
      ignoreExpiration: false,
      passReqToCallback: true,
    },
    (
      request: Request,
      claims: AccessClaims,
      done: (error: unknown, user?: AuthUser | false, info?: object) => void,
    ) => {
      // Verified: the guard need not verify this token again until it expires.
      tokens.rememberVerified(bearer(request)!, claims);
      tokens.authenticate(claims).then(
        (user) => (user ? done(null, user) : done(null, false, SESSION_ENDED)),
        // The lookup failed (database unreachable): an error for the guard to pass on, not a refusal.
        (error: unknown) => done(error),
      );
    },
  );
}

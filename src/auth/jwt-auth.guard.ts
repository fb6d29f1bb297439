import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import passport from 'passport';
import { AuthUser } from '../common/decorators/current-user.decorator';
import { IS_PUBLIC } from '../common/decorators/public.decorator';
import { authConfig } from '../config/auth.config';
import { AccessTokens, accessTokenKey } from '../sessions/access-tokens';
import { bearer, bearerStrategy, SESSION_ENDED } from './jwt.strategy';

const NO_VALID_TOKEN = 'Authentication required: send a valid bearer token.';
const SESSION_ENDED_MESSAGE = 'Your session has ended; please sign in again.';

/**
 * Global guard: every route needs a live bearer token unless marked @Public(). The strategy
 * lives in this app's own passport instance, never in passport's process-wide registry, so
 * two apps in one process (tests, several instances) each verify with their own secret.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  private readonly passport = new passport.Authenticator();

  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: AccessTokens,
    @Inject(authConfig.KEY) config: ConfigType<typeof authConfig>,
  ) {
    this.passport.use('jwt', bearerStrategy(accessTokenKey(config.jwtSecret), tokens));
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<Request & { user?: AuthUser }>();
    request.user = await this.authenticate(request, http.getResponse<Response>());
    return true;
  }

  private async authenticate(request: Request, response: Response): Promise<AuthUser> {
    // An old server's token (only with LEGACY_JWT_SECRET) is checked by its own key and bound
    // session; ours go to passport and are verified once, by our key, then remembered until
    // they expire: the session behind a remembered one is still checked on every request.
    const token = bearer(request);
    if (token && this.tokens.isLegacy(token)) {
      const user = await this.tokens.verify(token);
      if (!user) throw new UnauthorizedException(NO_VALID_TOKEN);
      return user;
    }
    const verified = token ? this.tokens.recallVerified(token) : undefined;
    if (verified) {
      const user = await this.tokens.authenticate(verified);
      if (!user) throw new UnauthorizedException(SESSION_ENDED_MESSAGE);
      return user;
    }
    return this.viaPassport(request, response);
  }

  private viaPassport(request: Request, response: Response): Promise<AuthUser> {
    return new Promise((resolve, reject) => {
      const middleware = this.passport.authenticate(
        'jwt',
        { session: false },
        (error: Error | null, user: AuthUser | false | undefined, info: unknown) => {
          // An error is the session lookup failing (the database is unreachable: 503 by the
          // filter), not the token: a 401 would sign the app out.
          if (error) reject(error);
          else if (user) resolve(user);
          else if (info === SESSION_ENDED) reject(new UnauthorizedException(SESSION_ENDED_MESSAGE));
          else reject(new UnauthorizedException(NO_VALID_TOKEN));
        },
      ) as (req: Request, res: Response, next: (error?: unknown) => void) => void;
      middleware(request, response, reject);
    });
  }
}

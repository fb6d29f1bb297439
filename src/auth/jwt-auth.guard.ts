import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import passport from 'passport';
import { ExtractJwt } from 'passport-jwt';
import { AuthUser } from '../common/decorators/current-user.decorator';
import { IS_PUBLIC } from '../common/decorators/public.decorator';
import { authConfig } from '../config/auth.config';
import { AccessTokens, accessTokenKey } from '../sessions/access-tokens';
import { bearerStrategy, SESSION_ENDED } from './jwt.strategy';

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
    // session; ours go to passport and are verified once, by our key.
    const bearer = ExtractJwt.fromAuthHeaderAsBearerToken()(request);
    if (bearer && this.tokens.isLegacy(bearer)) {
      const user = await this.tokens.verify(bearer);
      if (!user) throw new UnauthorizedException('Authentication required: send a valid bearer token.');
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
          else if (info === SESSION_ENDED)
            reject(new UnauthorizedException('Your session has ended; please sign in again.'));
          else reject(new UnauthorizedException('Authentication required: send a valid bearer token.'));
        },
      ) as (req: Request, res: Response, next: (error?: unknown) => void) => void;
      middleware(request, response, reject);
    });
  }
}

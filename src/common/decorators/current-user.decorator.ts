import { createParamDecorator, ExecutionContext } from '@nestjs/common';

/** Who is calling: the token's subject and the session it belongs to. */
export interface AuthUser {
  id: string;
  sessionId: string;
}

export const CurrentUser = createParamDecorator((_data: unknown, ctx: ExecutionContext): AuthUser => {
  return ctx.switchToHttp().getRequest<{ user: AuthUser }>().user;
});

import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

/** The caller's user agent and address (behind TRUST_PROXY), as stored on a session. */
export const ClientInfo = createParamDecorator((_data: unknown, ctx: ExecutionContext) => {
  const request = ctx.switchToHttp().getRequest<Request>();
  return { userAgent: request.get('user-agent') ?? null, ip: request.ip ?? null };
});

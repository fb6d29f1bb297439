import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

/** Where a request comes from: kept on a session ("where am I signed in"), counted by throttles. */
export interface ClientInfo {
  userAgent: string | null;
  ip: string | null;
}

/** The caller's user agent and address (behind TRUST_PROXY). */
export const ClientInfo = createParamDecorator((_data: unknown, ctx: ExecutionContext): ClientInfo => {
  const request = ctx.switchToHttp().getRequest<Request>();
  return { userAgent: request.get('user-agent') ?? null, ip: request.ip ?? null };
});

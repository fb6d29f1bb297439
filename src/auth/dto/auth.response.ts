import { SessionEntity } from '../../sessions/session.entity';
import { UserResponse } from '../../users/dto/user.response';

export class AuthResponse {
  /** Bearer token for every call (valid JWT_TTL, 30 days by default, unless revoked). */
  token!: string;
  user!: UserResponse;
  listIds!: string[];
  /** Exchange at POST /auth/refresh for a new pair; single use. */
  refreshToken!: string;
  /** When `token` expires. */
  expiresAt!: string;
}

export class SessionResponse {
  id!: string;
  createdAt!: string;
  lastUsedAt!: string;
  expiresAt!: string;
  userAgent!: string | null;
  ip!: string | null;
  /** The session of the token that made this request. */
  current!: boolean;
}

export class MessageResponse {
  /** @example "If that account exists, a code has been sent." */
  message!: string;
}

export function toSessionResponse(session: SessionEntity, currentSessionId: string): SessionResponse {
  return {
    id: session.id,
    createdAt: session.createdAt.toISOString(),
    lastUsedAt: session.lastUsedAt.toISOString(),
    expiresAt: session.expiresAt.toISOString(),
    userAgent: session.userAgent,
    ip: session.ip,
    current: session.id === currentSessionId,
  };
}

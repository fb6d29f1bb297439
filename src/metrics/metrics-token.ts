import { createHash, timingSafeEqual } from 'node:crypto';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Whether an `Authorization` header is `Bearer <token>`, compared in constant time: both sides
 * are hashed first, so neither the token's characters nor its length show in the timing.
 */
export function bearerTokenMatcher(token: string): (authorization: string | undefined) => boolean {
  const expected = digest(token);
  return (authorization) => {
    const match = /^Bearer +(\S+)$/i.exec(authorization ?? '');
    const offered = digest(match?.[1] ?? '');
    return timingSafeEqual(offered, expected) && match !== null;
  };
}

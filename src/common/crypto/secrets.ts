import { createHash, createHmac, hkdfSync, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

/** Crockford base32: no I, L, O or U, so codes read aloud or typed from a screen survive. */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * `XXX-XXX` from a CSPRNG (30 bits): what the app's join field takes (7 characters, e.g.
 * `A4F-92K`). Six symbols can be guessed at scale, so codes expire, rotate when a member is
 * removed, and failed joins are throttled per account and per address.
 */
export function newInviteCode(): string {
  const chars = Array.from({ length: 6 }, () => CROCKFORD[randomInt(CROCKFORD.length)]);
  return `${chars.slice(0, 3).join('')}-${chars.slice(3).join('')}`;
}

/** Case-insensitive, tolerant of missing dash and of the letters Crockford folds (I, L → 1; O → 0). */
export function normalizeInviteCode(input: string): string | null {
  const compact = input.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
  if (!/^[0-9A-HJKMNP-TV-Z]{6}$/.test(compact)) return null;
  return `${compact.slice(0, 3)}-${compact.slice(3)}`;
}

/** Six digits from a CSPRNG, leading zeros kept. */
export function newResetCode(): string {
  return String(randomInt(1_000_000)).padStart(6, '0');
}

/** An opaque bearer secret (refresh tokens, tickets): 256 random bits. */
export function newOpaqueToken(): string {
  return randomBytes(32).toString('base64url');
}

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

/** A purpose-bound key derived from the server secret, so one secret never signs two kinds of thing. */
export function deriveKey(secret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'cartsync', purpose, 32));
}

export function hmac(key: Buffer, value: string): string {
  return createHmac('sha256', key).update(value).digest('base64url');
}

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

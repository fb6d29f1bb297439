/**
 * Tokens whose signature was already verified, remembered until they expire. A phone sends the
 * same access token with every request for its whole lifetime; verifying it once instead of
 * on every request took jsonwebtoken's decoding, HMAC and option handling (with passport's
 * per-request strategy) off the request path: they were 9 % of the server's CPU per
 * `GET /lists/:id` (docs/BENCHMARKS.md). Only what verification said is reused: the claims and
 * the expiry, checked against the time on every use (never later than jsonwebtoken would refuse it). Whether
 * the session is still live is asked on every request all the same (`SessionLiveness`).
 *
 * Bounded: past `capacity` tokens the oldest remembered is forgotten (it is verified again
 * when it comes back). Only verified tokens get in, so filling it takes signed tokens.
 */
export class VerifiedTokens<Claims extends object> {
  private readonly entries = new Map<string, { claims: Claims; expiresAtMs: number }>();

  constructor(
    private readonly capacity: number,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /**
   * `token` was verified and said `claims`. A token without a numeric `exp` is not remembered
   * (it is verified on every use).
   */
  remember(token: string, claims: Claims & { exp?: unknown }): void {
    if (this.capacity <= 0 || typeof claims.exp !== 'number') return;
    if (!this.entries.has(token) && this.entries.size >= this.capacity) {
      this.entries.delete(this.entries.keys().next().value!);
    }
    this.entries.set(token, { claims, expiresAtMs: claims.exp * 1000 });
  }

  /**
   * The claims `token` was verified to carry, while it has not expired (jsonwebtoken: expired
   * once the time in whole seconds reaches `exp`); undefined otherwise.
   */
  recall(token: string): Claims | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    if (this.nowMs() >= entry.expiresAtMs) {
      this.entries.delete(token);
      return undefined;
    }
    return entry.claims;
  }

  get size(): number {
    return this.entries.size;
  }
}

import { JwtService } from '@nestjs/jwt';
import { mock } from 'jest-mock-extended';
import { createHmac } from 'node:crypto';
import { Clock } from '../common/clock/clock';
import { authConfig } from '../config/auth.config';
import { LegacyTokens } from './legacy-tokens';
import { SessionLiveness } from './session-liveness';
import { SessionsRepository } from './sessions.repository';

const OLD = 'o'.repeat(32);
const NOW = new Date('2026-12-01T12:00:00Z');
const nowS = NOW.getTime() / 1000;

function jwt(payload: object, secret = OLD): string {
  const part = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

function legacyTokens(legacySecret: string | undefined) {
  const sessions = mock<SessionsRepository>();
  const liveness = mock<SessionLiveness>();
  const clock = mock<Clock>();
  clock.now.mockReturnValue(NOW);
  const config = authConfig({
    JWT_SECRET: 'j'.repeat(40),
    ...(legacySecret ? { LEGACY_JWT_SECRET: legacySecret } : {}),
  });
  return { tokens: new LegacyTokens(new JwtService({}), sessions, liveness, clock, config), sessions, liveness };
}

describe('LegacyTokens', () => {
  const claims = { userId: 'u1', iat: nowS - 100, exp: nowS + 100 };

  it('should take only the old shape (userId, no sid), and nothing without LEGACY_JWT_SECRET', () => {
    const { tokens } = legacyTokens(OLD);
    expect(tokens.handles(jwt(claims))).toBe(true);
    expect(tokens.handles(jwt({ sub: 'u1', sid: 's1', iat: 1, exp: 2 }))).toBe(false);
    expect(tokens.handles(jwt({ ...claims, sid: 's1' }))).toBe(false);
    expect(tokens.handles('not.a-jwt')).toBe(false);
    expect(tokens.handles(`x.${Buffer.from('null').toString('base64url')}.y`)).toBe(false);
    expect(legacyTokens(undefined).tokens.handles(jwt(claims))).toBe(false);
  });

  it('should bind on first use, then answer from the binding without reading it again', async () => {
    const { tokens, sessions, liveness } = legacyTokens(OLD);
    sessions.findByLegacyDigest.mockResolvedValue(null);
    sessions.bindLegacyToken.mockResolvedValue({ id: 's9', userId: 'u1' });
    liveness.isLive.mockResolvedValue(true);
    const token = jwt(claims);
    await expect(tokens.verify(token)).resolves.toEqual({ id: 'u1', sessionId: 's9' });
    expect(sessions.bindLegacyToken).toHaveBeenCalledWith(
      expect.any(String),
      'u1',
      new Date((nowS - 100) * 1000),
      new Date((nowS + 100) * 1000),
      NOW,
    );
    await expect(tokens.verify(token)).resolves.toEqual({ id: 'u1', sessionId: 's9' });
    expect(sessions.findByLegacyDigest).toHaveBeenCalledTimes(1);
    expect(sessions.bindLegacyToken).toHaveBeenCalledTimes(1);
    // Liveness is asked every time: a revoked session ends the token.
    liveness.isLive.mockResolvedValue(false);
    await expect(tokens.verify(token)).resolves.toBeNull();
  });

  it('should refuse without a read: wrong key, expired by the server clock, missing iat, non-string userId', async () => {
    const { tokens, sessions } = legacyTokens(OLD);
    for (const token of [
      jwt(claims, 'x'.repeat(32)),
      jwt({ ...claims, exp: nowS - 1 }),
      jwt({ userId: 'u1', exp: nowS + 100 }),
      jwt({ ...claims, userId: 42 }),
    ]) {
      await expect(tokens.verify(token)).resolves.toBeNull();
    }
    expect(sessions.findByLegacyDigest).not.toHaveBeenCalled();
    expect(sessions.bindLegacyToken).not.toHaveBeenCalled();
  });
});

import { BadRequestException } from '@nestjs/common';
import { mock, MockProxy } from 'jest-mock-extended';
import { callOrder, NOW, serviceUnderTest, ServiceUnderTest } from '../../test/support/unit';
import { deriveKey, hmac } from '../common/crypto/secrets';
import { ApiError } from '../common/http/error-body';
import { Mailer } from '../common/mail/mailer';
import { Throttles } from '../common/rate-limit/throttles';
import { authConfig } from '../config/auth.config';
import { SessionLiveness } from '../sessions/session-liveness';
import { SessionsRepository } from '../sessions/sessions.repository';
import { UsersRepository } from '../users/users.repository';
import { INVALID_CODE, PasswordResetService } from './password-reset.service';
import { HASHER_BUSY, PasswordHasher } from './password-hasher';
import { PasswordResetCodeEntity } from './password-reset-code.entity';
import { PasswordResetsRepository } from './password-resets.repository';

const SECRET = 'a-secret-for-the-password-reset-spec-0123456789';
const config = { jwtSecret: SECRET, reset: { ttlMs: 600_000, maxAttempts: 5 } };
const EMAIL = 'ana@example.com';
const client = { userAgent: null, ip: '203.0.113.7' };
const attempt = { resetConfirmPerAccount: EMAIL, resetConfirmPerIp: '203.0.113.7' };

/** The email's stored code, as the service stores it (an HMAC bound to the email). */
function storedCode(code: string, overrides: Partial<PasswordResetCodeEntity> = {}): PasswordResetCodeEntity {
  return Object.assign(new PasswordResetCodeEntity(), {
    email: EMAIL,
    userId: 'u1',
    codeHash: hmac(deriveKey(SECRET, 'password-reset-code'), `${EMAIL}\n${code}`),
    attempts: 0,
    expiresAt: new Date(NOW.getTime() + 300_000),
    createdAt: NOW,
    ...overrides,
  });
}

describe('PasswordResetService.confirm', () => {
  let resets: MockProxy<PasswordResetsRepository>;
  let users: MockProxy<UsersRepository>;
  let sessions: MockProxy<SessionsRepository>;
  let hasher: MockProxy<PasswordHasher>;
  let throttles: MockProxy<Throttles>;
  let unit: ServiceUnderTest<PasswordResetService>;
  let service: PasswordResetService;
  const inTransaction: Record<string, boolean> = {};

  beforeEach(async () => {
    resets = mock<PasswordResetsRepository>();
    users = mock<UsersRepository>();
    sessions = mock<SessionsRepository>();
    hasher = mock<PasswordHasher>();
    throttles = mock<Throttles>();
    hasher.hash.mockResolvedValue('$argon2id$new-hash');
    throttles.refund.mockResolvedValue();
    throttles.forget.mockResolvedValue();
    users.setPasswordHash.mockImplementation(() => {
      inTransaction.setPasswordHash = unit.inTransaction();
      return Promise.resolve();
    });
    users.endLegacyTokens.mockImplementation(() => {
      inTransaction.endLegacyTokens = unit.inTransaction();
      return Promise.resolve();
    });
    sessions.revokeAll.mockImplementation(() => {
      inTransaction.revokeAll = unit.inTransaction();
      return Promise.resolve(['s1', 's2']);
    });
    unit = await serviceUnderTest(PasswordResetService, [
      { provide: PasswordResetsRepository, useValue: resets },
      { provide: UsersRepository, useValue: users },
      { provide: SessionsRepository, useValue: sessions },
      { provide: SessionLiveness, useValue: mock<SessionLiveness>() },
      { provide: PasswordHasher, useValue: hasher },
      { provide: Throttles, useValue: throttles },
      { provide: Mailer, useValue: mock<Mailer>() },
      { provide: authConfig.KEY, useValue: config },
    ]);
    service = unit.service;
  });

  const confirm = (token: string) =>
    service.confirm({ email: EMAIL, token, newPassword: 'a brand new passphrase' }, client);

  it('should not call the hasher for a wrong code, and count the wrong try against the code', async () => {
    resets.lock.mockResolvedValue(storedCode('123456', { attempts: 1 }));

    await expect(confirm('654321')).rejects.toEqual(new BadRequestException(INVALID_CODE));
    expect(hasher.hash).not.toHaveBeenCalled();
    expect(resets.countAttempt).toHaveBeenCalledWith(EMAIL, 2);
    expect(users.setPasswordHash).not.toHaveBeenCalled();
    expect(throttles.refund).not.toHaveBeenCalled();
  });

  it.each([
    ['an unrequested code', null],
    ['an expired code', storedCode('123456', { expiresAt: NOW })],
  ])('should not call the hasher for %s', async (_case, stored) => {
    resets.lock.mockResolvedValue(stored);
    await expect(confirm('123456')).rejects.toBeInstanceOf(BadRequestException);
    expect(hasher.hash).not.toHaveBeenCalled();
    expect(users.setPasswordHash).not.toHaveBeenCalled();
  });

  it('should burn the code on the wrong try that reaches RESET_MAX_ATTEMPTS, still without hashing', async () => {
    resets.lock.mockResolvedValue(storedCode('123456', { attempts: 4 }));
    await expect(confirm('654321')).rejects.toBeInstanceOf(BadRequestException);
    expect(resets.delete).toHaveBeenCalledWith(EMAIL);
    expect(hasher.hash).not.toHaveBeenCalled();
  });

  it('should take the attempt before anything else, and refuse with the throttle’s 429 without looking at the code', async () => {
    const refusal = ApiError.retryLater(429, 'Too many wrong reset codes for this account.', 900);
    throttles.take.mockRejectedValue(refusal);
    await expect(confirm('123456')).rejects.toBe(refusal);
    expect(throttles.take).toHaveBeenCalledWith(attempt);
    expect(resets.lock).not.toHaveBeenCalled();
    expect(hasher.hash).not.toHaveBeenCalled();
  });

  it('should check the right code first, then hash, then in one unit of work use the code up, set the hash and revoke every session', async () => {
    resets.lock.mockResolvedValue(storedCode('123456'));

    await confirm('123456');
    expect(hasher.hash).toHaveBeenCalledWith('a brand new passphrase');
    const [check, hash, write] = callOrder(resets.lock, hasher.hash, users.setPasswordHash);
    expect(check).toBeLessThan(hash);
    expect(hash).toBeLessThan(write);
    // The code is read again under its lock in the unit of work that writes.
    expect(resets.lock).toHaveBeenCalledTimes(2);
    expect(resets.delete).toHaveBeenCalledWith(EMAIL);
    expect(users.setPasswordHash).toHaveBeenCalledWith('u1', '$argon2id$new-hash');
    expect(sessions.revokeAll).toHaveBeenCalledWith('u1', NOW);
    // Old-server tokens not yet bound to a session stop working too.
    expect(users.endLegacyTokens).toHaveBeenCalledWith('u1');
    expect(inTransaction).toEqual({ setPasswordHash: true, endLegacyTokens: true, revokeAll: true });
    expect(resets.countAttempt).not.toHaveBeenCalled();
  });

  it('should give the attempt back and end the account’s sign-in lockout after a reset', async () => {
    resets.lock.mockResolvedValue(storedCode('123456'));
    await confirm('123456');
    expect(throttles.refund).toHaveBeenCalledWith(attempt);
    expect(throttles.forget).toHaveBeenCalledWith({ loginPerAccount: EMAIL });
  });

  it('should write nothing when the code was used up between the check and the write', async () => {
    resets.lock.mockResolvedValueOnce(storedCode('123456')).mockResolvedValueOnce(null);
    await expect(confirm('123456')).rejects.toEqual(new BadRequestException(INVALID_CODE));
    expect(users.setPasswordHash).not.toHaveBeenCalled();
    expect(sessions.revokeAll).not.toHaveBeenCalled();
  });

  it('should leave the code usable and give the attempt back when the hasher is busy (503)', async () => {
    resets.lock.mockResolvedValue(storedCode('123456'));
    const busy = ApiError.retryLater(503, HASHER_BUSY, 1);
    hasher.hash.mockRejectedValue(busy);
    await expect(confirm('123456')).rejects.toBe(busy);
    expect(resets.delete).not.toHaveBeenCalled();
    expect(resets.countAttempt).not.toHaveBeenCalled();
    expect(users.setPasswordHash).not.toHaveBeenCalled();
    expect(throttles.refund).toHaveBeenCalledWith(attempt);
  });
});

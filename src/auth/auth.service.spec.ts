import { ConflictException, UnauthorizedException } from '@nestjs/common';
import { mock, MockProxy } from 'jest-mock-extended';
import { callOrder, serviceUnderTest } from '../../test/support/unit';
import { ApiError } from '../common/http/error-body';
import { Throttles } from '../common/rate-limit/throttles';
import { authConfig } from '../config/auth.config';
import { ListsRepository } from '../lists/lists.repository';
import { ListsService } from '../lists/lists.service';
import { AccessTokens } from '../sessions/access-tokens';
import { SessionLiveness } from '../sessions/session-liveness';
import { SessionEntity } from '../sessions/session.entity';
import { SessionsRepository } from '../sessions/sessions.repository';
import { UserEntity } from '../users/user.entity';
import { UsersRepository } from '../users/users.repository';
import { AuthService } from './auth.service';
import { HASHER_BUSY, PasswordHasher } from './password-hasher';

const config = { accessTtlMs: 60_000, refreshTtlMs: 120_000 };
const client = { userAgent: null, ip: '203.0.113.7' };
const ana = Object.assign(new UserEntity(), { id: 'u1', email: 'ana@example.com', name: 'Ana', passwordHash: '$h' });
const credentials = { email: 'ana@example.com', password: 'correct horse battery' };
const loginAttempt = { loginPerAccount: 'ana@example.com', loginPerIp: '203.0.113.7' };

describe('AuthService throttling', () => {
  let users: MockProxy<UsersRepository>;
  let hasher: MockProxy<PasswordHasher>;
  let throttles: MockProxy<Throttles>;
  let service: AuthService;
  let inTransaction: () => boolean;

  beforeEach(async () => {
    users = mock<UsersRepository>();
    hasher = mock<PasswordHasher>();
    throttles = mock<Throttles>();
    throttles.refund.mockResolvedValue();
    const sessions = mock<SessionsRepository>();
    sessions.create.mockResolvedValue(Object.assign(new SessionEntity(), { id: 's1' }));
    const lists = mock<ListsRepository>();
    lists.listIdsOf.mockResolvedValue(['l1']);
    const tokens = mock<AccessTokens>();
    tokens.sign.mockResolvedValue('token');
    ({ service, inTransaction } = await serviceUnderTest(AuthService, [
      { provide: UsersRepository, useValue: users },
      { provide: ListsRepository, useValue: lists },
      { provide: ListsService, useValue: mock<ListsService>() },
      { provide: SessionsRepository, useValue: sessions },
      { provide: SessionLiveness, useValue: mock<SessionLiveness>() },
      { provide: AccessTokens, useValue: tokens },
      { provide: PasswordHasher, useValue: hasher },
      { provide: Throttles, useValue: throttles },
      { provide: authConfig.KEY, useValue: config },
    ]));
  });

  describe('login', () => {
    it('should count the attempt per account and address before looking the user up', async () => {
      users.findByEmail.mockResolvedValue(ana);
      hasher.verify.mockResolvedValue(true);
      await service.login(credentials, client);
      expect(throttles.take).toHaveBeenCalledWith(loginAttempt);
      const [take, lookup] = callOrder(throttles.take, users.findByEmail);
      expect(take).toBeLessThan(lookup);
    });

    it('should answer the throttle’s 429 without checking the password, even a right one', async () => {
      const refusal = ApiError.retryLater(429, 'Too many failed sign-in attempts for this account.', 900);
      throttles.take.mockRejectedValue(refusal);
      await expect(service.login(credentials, client)).rejects.toBe(refusal);
      expect(users.findByEmail).not.toHaveBeenCalled();
      expect(hasher.verify).not.toHaveBeenCalled();
    });

    it('should give the attempt back after a successful sign-in', async () => {
      users.findByEmail.mockResolvedValue(ana);
      hasher.verify.mockResolvedValue(true);
      await service.login(credentials, client);
      expect(throttles.refund).toHaveBeenCalledWith(loginAttempt);
    });

    it('should keep a wrong password counted', async () => {
      users.findByEmail.mockResolvedValue(ana);
      hasher.verify.mockResolvedValue(false);
      await expect(service.login(credentials, client)).rejects.toBeInstanceOf(UnauthorizedException);
      expect(throttles.refund).not.toHaveBeenCalled();
    });

    it('should spend one verification on an unknown email and keep it counted', async () => {
      users.findByEmail.mockResolvedValue(null);
      hasher.verifyNothing.mockResolvedValue(false);
      await expect(service.login(credentials, client)).rejects.toBeInstanceOf(UnauthorizedException);
      expect(hasher.verifyNothing).toHaveBeenCalledWith(credentials.password);
      expect(throttles.refund).not.toHaveBeenCalled();
    });

    it('should give the attempt back when the hasher is busy: the password was never tried', async () => {
      users.findByEmail.mockResolvedValue(ana);
      const busy = ApiError.retryLater(503, HASHER_BUSY, 1);
      hasher.verify.mockRejectedValue(busy);
      await expect(service.login(credentials, client)).rejects.toBe(busy);
      expect(throttles.refund).toHaveBeenCalledWith(loginAttempt);
    });
  });

  describe('rehash of old-scheme hashes on sign-in', () => {
    const bcryptAna = Object.assign(new UserEntity(), { ...ana, passwordHash: '$2b$10$old' });

    it('should hash the password to argon2id after it verified, then swap the hash in the sign-in unit of work', async () => {
      users.findByEmail.mockResolvedValue(bcryptAna);
      hasher.verify.mockResolvedValue(true);
      hasher.needsRehash.mockReturnValue(true);
      hasher.hash.mockResolvedValue('$argon2id$new');
      let swappedInTransaction: boolean | undefined;
      users.replacePasswordHash.mockImplementation(() => {
        swappedInTransaction = inTransaction();
        return Promise.resolve(true);
      });
      await service.login(credentials, client);
      expect(swappedInTransaction).toBe(true);
      expect(hasher.needsRehash).toHaveBeenCalledWith('$2b$10$old');
      expect(hasher.hash).toHaveBeenCalledWith(credentials.password);
      expect(users.replacePasswordHash).toHaveBeenCalledWith('u1', '$2b$10$old', '$argon2id$new');
      const [verify, hash, swap] = callOrder(hasher.verify, hasher.hash, users.replacePasswordHash);
      expect(verify).toBeLessThan(hash);
      expect(hash).toBeLessThan(swap);
    });

    it('should sign in without rehashing when the hasher is busy (the next sign-in does it)', async () => {
      users.findByEmail.mockResolvedValue(bcryptAna);
      hasher.verify.mockResolvedValue(true);
      hasher.needsRehash.mockReturnValue(true);
      hasher.hash.mockRejectedValue(ApiError.retryLater(503, HASHER_BUSY, 1));
      await expect(service.login(credentials, client)).resolves.toMatchObject({ token: 'token' });
      expect(users.replacePasswordHash).not.toHaveBeenCalled();
    });

    it('should neither rehash nor write a current argon2id hash', async () => {
      users.findByEmail.mockResolvedValue(ana);
      hasher.verify.mockResolvedValue(true);
      hasher.needsRehash.mockReturnValue(false);
      await service.login(credentials, client);
      expect(hasher.hash).not.toHaveBeenCalled();
      expect(users.replacePasswordHash).not.toHaveBeenCalled();
    });

    it('should not rehash after a wrong password', async () => {
      users.findByEmail.mockResolvedValue(bcryptAna);
      hasher.verify.mockResolvedValue(false);
      hasher.needsRehash.mockReturnValue(true);
      await expect(service.login(credentials, client)).rejects.toBeInstanceOf(UnauthorizedException);
      expect(hasher.hash).not.toHaveBeenCalled();
    });
  });

  describe('register', () => {
    const dto = { ...credentials, name: 'Ana' };

    it('should count the sign-up against the address before hashing', async () => {
      users.create.mockResolvedValue(null);
      hasher.hash.mockResolvedValue('$h');
      await expect(service.register(dto, client)).rejects.toBeInstanceOf(ConflictException);
      expect(throttles.take).toHaveBeenCalledWith({ registerPerIp: '203.0.113.7' });
      const [take, hash] = callOrder(throttles.take, hasher.hash);
      expect(take).toBeLessThan(hash);
      // A known email's 409 stays counted: it is what an enumerator gets.
      expect(throttles.refund).not.toHaveBeenCalled();
    });

    it('should neither hash nor create over the limit', async () => {
      throttles.take.mockRejectedValue(ApiError.retryLater(429, 'Too many sign-ups from your network.', 3600));
      await expect(service.register(dto, client)).rejects.toMatchObject({ statusCode: 429, retryAfterSec: 3600 });
      expect(hasher.hash).not.toHaveBeenCalled();
      expect(users.create).not.toHaveBeenCalled();
    });
  });
});

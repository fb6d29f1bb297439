import { ForbiddenException } from '@nestjs/common';
import { mock, MockProxy } from 'jest-mock-extended';
import { callOrder, serviceUnderTest } from '../../test/support/unit';
import { ApiError } from '../common/http/error-body';
import { Throttles } from '../common/rate-limit/throttles';
import { ListsRepository } from '../lists/lists.repository';
import { ListsService } from '../lists/lists.service';
import { SessionLiveness } from '../sessions/session-liveness';
import { SessionsRepository } from '../sessions/sessions.repository';
import { StoresService } from '../stores/stores.service';
import { SuggestionsService } from '../suggestions/suggestions.service';
import { TripsService } from '../trips/trips.service';
import { UserEntity } from '../users/user.entity';
import { UsersRepository } from '../users/users.repository';
import { AccountService, EXPORTS_BUSY } from './account.service';
import { HASHER_BUSY, PasswordHasher } from './password-hasher';

const client = { userAgent: null, ip: '203.0.113.7' };
const ana = Object.assign(new UserEntity(), { id: 'u1', email: 'ana@example.com', name: 'Ana', passwordHash: '$h' });
const caller = { id: 'u1', sessionId: 's1' };
const attempt = { loginPerAccount: 'ana@example.com', loginPerIp: '203.0.113.7' };

describe('AccountService.delete', () => {
  let users: MockProxy<UsersRepository>;
  let sessions: MockProxy<SessionsRepository>;
  let liveness: MockProxy<SessionLiveness>;
  let listsService: MockProxy<ListsService>;
  let hasher: MockProxy<PasswordHasher>;
  let throttles: MockProxy<Throttles>;
  let service: AccountService;
  let inTransaction: () => boolean;
  /** Whether each step ran inside the unit of work, by name. */
  let inside: Record<string, boolean>;

  beforeEach(async () => {
    inside = {};
    users = mock<UsersRepository>();
    users.findById.mockResolvedValue(ana);
    users.lockForDeletion.mockImplementation(() => Promise.resolve((inside.lock = inTransaction())));
    users.delete.mockImplementation(() => {
      inside.deleteUser = inTransaction();
      return Promise.resolve();
    });
    sessions = mock<SessionsRepository>();
    sessions.deleteAll.mockImplementation(() => {
      inside.sessions = inTransaction();
      return Promise.resolve(['s1', 's2']);
    });
    listsService = mock<ListsService>();
    listsService.leaveAll.mockImplementation(() => {
      inside.lists = inTransaction();
      return Promise.resolve();
    });
    liveness = mock<SessionLiveness>();
    liveness.forget.mockImplementation(() => void (inside.forget = inTransaction()));
    hasher = mock<PasswordHasher>();
    throttles = mock<Throttles>();
    throttles.refund.mockResolvedValue();
    ({ service, inTransaction } = await serviceUnderTest(AccountService, [
      { provide: UsersRepository, useValue: users },
      { provide: SessionsRepository, useValue: sessions },
      { provide: SessionLiveness, useValue: liveness },
      { provide: ListsRepository, useValue: mock<ListsRepository>() },
      { provide: ListsService, useValue: listsService },
      { provide: StoresService, useValue: mock<StoresService>() },
      { provide: TripsService, useValue: mock<TripsService>() },
      { provide: SuggestionsService, useValue: mock<SuggestionsService>() },
      { provide: PasswordHasher, useValue: hasher },
      { provide: Throttles, useValue: throttles },
    ]));
  });

  it('should leave the lists, end the sessions and delete the user in one unit of work, then forget the sessions', async () => {
    hasher.verify.mockResolvedValue(true);

    await service.delete(caller, { password: 'correct horse battery' }, client);

    expect(hasher.verify).toHaveBeenCalledWith('$h', 'correct horse battery');
    expect(inside).toEqual({ lock: true, lists: true, sessions: true, deleteUser: true, forget: false });
    const order = callOrder(
      users.lockForDeletion,
      listsService.leaveAll,
      sessions.deleteAll,
      users.delete,
      liveness.forget,
    );
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(listsService.leaveAll).toHaveBeenCalledWith(caller);
    expect(liveness.forget).toHaveBeenCalledWith(['s1', 's2']);
    expect(throttles.take).toHaveBeenCalledWith(attempt);
    expect(throttles.refund).toHaveBeenCalledWith(attempt);
  });

  it('should remove nothing and keep the attempt counted when the password is wrong', async () => {
    hasher.verify.mockResolvedValue(false);

    await expect(service.delete(caller, { password: 'guess' }, client)).rejects.toThrow(ForbiddenException);

    expect(throttles.take).toHaveBeenCalledWith(attempt);
    expect(throttles.refund).not.toHaveBeenCalled();
    for (const step of [
      users.lockForDeletion,
      listsService.leaveAll,
      sessions.deleteAll,
      users.delete,
      liveness.forget,
    ]) {
      expect(step).not.toHaveBeenCalled();
    }
  });

  it('should give the attempt back when the hasher is busy: the password was never tried', async () => {
    const busy = ApiError.retryLater(503, HASHER_BUSY, 1);
    hasher.verify.mockRejectedValue(busy);

    await expect(service.delete(caller, { password: 'correct horse battery' }, client)).rejects.toBe(busy);

    expect(throttles.refund).toHaveBeenCalledWith(attempt);
    expect(users.delete).not.toHaveBeenCalled();
  });

  it('should forget no session when the unit of work fails', async () => {
    hasher.verify.mockResolvedValue(true);
    users.delete.mockRejectedValue(new Error('the database refused'));

    await expect(service.delete(caller, { password: 'correct horse battery' }, client)).rejects.toThrow(
      'the database refused',
    );

    expect(liveness.forget).not.toHaveBeenCalled();
  });
});

describe('AccountService.export', () => {
  it('should prepare 2 exports at once, let 8 wait and refuse the next with 503 and Retry-After at once', async () => {
    const users = mock<UsersRepository>();
    let release: (user: UserEntity) => void = () => undefined;
    const held = new Promise<UserEntity>((resolve) => (release = resolve));
    users.findById.mockReturnValue(held);
    const sessions = mock<SessionsRepository>();
    sessions.listLive.mockResolvedValue([]);
    const lists = mock<ListsRepository>();
    lists.listIdsOf.mockResolvedValue([]);
    const { service } = await serviceUnderTest(AccountService, [
      { provide: UsersRepository, useValue: users },
      { provide: SessionsRepository, useValue: sessions },
      { provide: SessionLiveness, useValue: mock<SessionLiveness>() },
      { provide: ListsRepository, useValue: lists },
      { provide: ListsService, useValue: mock<ListsService>() },
      { provide: StoresService, useValue: mock<StoresService>() },
      { provide: TripsService, useValue: mock<TripsService>() },
      { provide: SuggestionsService, useValue: mock<SuggestionsService>() },
      { provide: PasswordHasher, useValue: mock<PasswordHasher>() },
      { provide: Throttles, useValue: mock<Throttles>() },
    ]);

    const admitted = Array.from({ length: 10 }, () => service.export(caller));
    const refused = await service.export(caller).catch((error: unknown) => error);

    expect(refused).toBeInstanceOf(ApiError);
    const { statusCode, message, retryAfterSec } = refused as ApiError;
    expect({ statusCode, message, retryAfterSec }).toEqual({
      statusCode: 503,
      message: EXPORTS_BUSY,
      retryAfterSec: 5,
    });
    // Only the two running ones have started reading.
    expect(users.findById).toHaveBeenCalledTimes(2);
    release(Object.assign(new UserEntity(), { ...ana, createdAt: new Date(0), legacyImportedAt: null }));
    const done = await Promise.all(admitted);
    expect(done.map((e) => JSON.parse(e.json) as { lists: unknown[] })).toEqual(
      Array(10).fill(expect.objectContaining({ lists: [] })),
    );
    expect(users.findById).toHaveBeenCalledTimes(10);
  });
});

import { NotFoundException } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { mock, MockProxy } from 'jest-mock-extended';
import { callOrder, NOW, serviceUnderTest, ServiceUnderTest } from '../../test/support/unit';
import { ListAccess } from '../access/list-access.service';
import { QuotaExceeded } from '../quotas/quota-exceeded';
import { Quotas } from '../quotas/quotas.service';
import { ApiError } from '../common/http/error-body';
import { Throttles } from '../common/rate-limit/throttles';
import { authConfig } from '../config/auth.config';
import { ItemsRepository } from '../items/items.repository';
import { RealtimeGateway } from '../realtime/realtime.gateway';
import { StoresService } from '../stores/stores.service';
import { StoredEvent } from '../events/stored-event';
import { InviteCodes } from './invite-codes';
import { ListEntity } from './list.entity';
import { ListsRepository, MemberRow } from './lists.repository';
import { ListsService } from './lists.service';

const user = { id: 'u1', sessionId: 's1' };
const config = { invite: { ttlMs: 7 * 86_400_000 } };
const client = { userAgent: null, ip: '203.0.113.7' };
const codes = new InviteCodes({ jwtSecret: 'a-test-secret-of-at-least-32-bytes!!' } as ConfigType<typeof authConfig>);
const ana: MemberRow = { id: 'u1', name: 'Ana', email: 'ana@example.com', role: 'owner' };
const bob: MemberRow = { id: 'u2', name: 'Bob', email: 'bob@example.com', role: 'member' };

function list(overrides: Partial<ListEntity> = {}): ListEntity {
  return Object.assign(new ListEntity(), {
    id: 'l1',
    name: 'Groceries',
    inviteCode: 'ABC-DEF',
    inviteExpiresAt: new Date(NOW.getTime() + 86_400_000),
    version: 1,
    seq: '4',
    createdAt: new Date('2026-01-01T00:00:00Z'),
    updatedAt: new Date('2026-01-01T00:00:00Z'),
    ...overrides,
  });
}

describe('ListsService', () => {
  let lists: MockProxy<ListsRepository>;
  let throttles: MockProxy<Throttles>;
  let access: MockProxy<ListAccess>;
  let gateway: MockProxy<RealtimeGateway>;
  let unit: ServiceUnderTest<ListsService>;
  let service: ListsService;
  let emittedInTransaction: boolean[];

  let quotas: MockProxy<Quotas>;
  beforeEach(async () => {
    quotas = mock<Quotas>();
    lists = mock<ListsRepository>();
    throttles = mock<Throttles>();
    access = mock<ListAccess>();
    gateway = mock<RealtimeGateway>();
    const items = mock<ItemsRepository>();
    items.inList.mockResolvedValue([]);
    access.requireMember.mockResolvedValue('member');
    lists.find.mockResolvedValue(list());
    lists.lock.mockResolvedValue(list());
    lists.membersOf.mockResolvedValue([ana, bob]);
    emittedInTransaction = [];
    gateway.emit.mockImplementation(() => {
      emittedInTransaction.push(unit.inTransaction());
      return Promise.resolve(5);
    });
    unit = await serviceUnderTest(ListsService, [
      { provide: ListsRepository, useValue: lists },
      { provide: ItemsRepository, useValue: items },
      { provide: StoresService, useValue: mock<StoresService>() },
      { provide: ListAccess, useValue: access },
      { provide: RealtimeGateway, useValue: gateway },
      { provide: Throttles, useValue: throttles },
      { provide: Quotas, useValue: quotas },
      { provide: InviteCodes, useValue: codes },
      { provide: authConfig.KEY, useValue: config },
    ]);
    service = unit.service;
  });

  describe('join', () => {
    const attempt = { invitePerUser: 'u1', invitePerIp: '203.0.113.7' };

    it("should refuse with the throttle's 429 without looking the code up once over a limit", async () => {
      const refusal = ApiError.retryLater(429, 'Too many wrong invite codes. Please try again in 15 minutes.', 900);
      throttles.take.mockRejectedValue(refusal);
      await expect(service.join(user, { inviteCode: 'ABC-DEF' }, client)).rejects.toBe(refusal);
      expect(throttles.take).toHaveBeenCalledWith(attempt);
      expect(lists.lockByInviteCode).not.toHaveBeenCalled();
    });

    it('should count a wrong code against the user and the address and answer 404', async () => {
      lists.lockByInviteCode.mockResolvedValue(null);
      await expect(service.join(user, { inviteCode: 'ABC-DEF' }, client)).rejects.toBeInstanceOf(NotFoundException);
      expect(throttles.take.mock.calls).toEqual([[attempt]]);
      expect(throttles.refund).not.toHaveBeenCalled();
    });

    it('should count the attempt before the lookup and outside the join unit of work, so a failed join keeps it counted', async () => {
      let countedInTransaction: boolean | undefined;
      throttles.take.mockImplementation(() => {
        countedInTransaction = unit.inTransaction();
        return Promise.resolve();
      });
      lists.lockByInviteCode.mockResolvedValue(null);
      await expect(service.join(user, { inviteCode: 'ABC-DEF' }, client)).rejects.toBeInstanceOf(NotFoundException);
      expect(countedInTransaction).toBe(false);
      const [take, lookup] = callOrder(throttles.take, lists.lockByInviteCode);
      expect(take).toBeLessThan(lookup);
    });

    it('should give the attempt back when the code was right, and emit the new members after adding', async () => {
      lists.lockByInviteCode.mockResolvedValue(list());
      lists.addMember.mockResolvedValue(true);
      const joined = await service.join(user, { inviteCode: 'ABC-DEF' }, client);
      expect(joined).toMatchObject({ id: 'l1', role: 'member', seq: 4 });
      expect(throttles.refund.mock.calls).toEqual([[{ invitePerUser: 'u1', invitePerIp: '203.0.113.7' }]]);
      expect(gateway.emit).toHaveBeenCalledWith(
        'l1',
        'list:updated',
        { id: 'l1', members: [ana, bob].map(({ id, name, email, role }) => ({ id, name, email, role })) },
        user,
      );
      const [add, emit] = callOrder(lists.addMember, gateway.emit);
      expect(add).toBeLessThan(emit);
      expect(emittedInTransaction).toEqual([true]);
    });

    it('should emit nothing when the user already was a member', async () => {
      lists.lockByInviteCode.mockResolvedValue(list());
      lists.addMember.mockResolvedValue(false);
      await service.join(user, { inviteCode: 'ABC-DEF' }, client);
      expect(gateway.emit).not.toHaveBeenCalled();
      expect(quotas.memberAdded).not.toHaveBeenCalled();
    });

    it('should check the quotas after adding the member, and emit nothing but give the attempt back when over one', async () => {
      lists.lockByInviteCode.mockResolvedValue(list());
      lists.addMember.mockResolvedValue(true);
      quotas.memberAdded.mockRejectedValue(
        new QuotaExceeded('membersPerList', 2, 'This list already has 2 members, the most a list can have.'),
      );
      await expect(service.join(user, { inviteCode: 'ABC-DEF' }, client)).rejects.toMatchObject({ statusCode: 409 });
      expect(quotas.memberAdded).toHaveBeenCalledWith('l1', 'u1');
      const [add, check] = callOrder(lists.addMember, quotas.memberAdded);
      expect(add).toBeLessThan(check);
      expect(gateway.emit).not.toHaveBeenCalled();
      expect(throttles.refund.mock.calls).toEqual([[attempt]]);
    });

    it('should keep the attempt counted when the join fails otherwise', async () => {
      lists.lockByInviteCode.mockRejectedValue(new Error('connection lost'));
      await expect(service.join(user, { inviteCode: 'ABC-DEF' }, client)).rejects.toThrow('connection lost');
      expect(throttles.refund).not.toHaveBeenCalled();
    });

    it('should look the code up in canonical form (upper case, dash, Crockford folding)', async () => {
      lists.lockByInviteCode.mockResolvedValue(null);
      await expect(service.join(user, { inviteCode: 'abcdeo' }, client)).rejects.toBeInstanceOf(NotFoundException);
      expect(lists.lockByInviteCode).toHaveBeenCalledWith('ABC-DE0', NOW);
    });

    it('should count a malformed code (per user and per address) without querying lists', async () => {
      await expect(service.join(user, { inviteCode: '!!' }, client)).rejects.toBeInstanceOf(NotFoundException);
      expect(lists.lockByInviteCode).not.toHaveBeenCalled();
      expect(throttles.take).toHaveBeenCalledTimes(1);
    });
  });

  describe('create', () => {
    it('should count the new list against the creator’s quota after writing it, inside the unit of work', async () => {
      let checkedInTransaction = false;
      lists.createWithOwner.mockResolvedValue('l1');
      quotas.listAdded.mockImplementation(() => {
        checkedInTransaction = unit.inTransaction();
        return Promise.resolve();
      });
      await service.create(user, { name: 'Cabin' });
      expect(quotas.listAdded).toHaveBeenCalledWith('u1');
      const [write, check] = callOrder(lists.createWithOwner, quotas.listAdded);
      expect(write).toBeLessThan(check);
      expect(checkedInTransaction).toBe(true);
    });
  });

  describe('rename', () => {
    it('should emit list:updated with the new name and version after the write', async () => {
      await service.rename(user, 'l1', { name: 'Weekend' });
      expect(lists.rename).toHaveBeenCalledWith('l1', 'Weekend', 2);
      expect(gateway.emit).toHaveBeenCalledWith('l1', 'list:updated', { id: 'l1', name: 'Weekend', version: 2 }, user);
      const [rename, emit] = callOrder(lists.rename, gateway.emit);
      expect(rename).toBeLessThan(emit);
      expect(emittedInTransaction).toEqual([true]);
    });

    it('should emit nothing when the write fails', async () => {
      lists.rename.mockRejectedValue(new Error('connection lost'));
      await expect(service.rename(user, 'l1', { name: 'Weekend' })).rejects.toThrow('connection lost');
      expect(gateway.emit).not.toHaveBeenCalled();
    });

    it('should answer 412 with the current list for a stale If-Match, and write nothing', async () => {
      lists.lock.mockResolvedValue(list({ version: 3 }));
      await expect(service.rename(user, 'l1', { name: 'Weekend' }, '"2"')).rejects.toMatchObject({
        statusCode: 412,
        extra: { current: expect.objectContaining({ id: 'l1', version: 1 }) },
      });
      expect(lists.rename).not.toHaveBeenCalled();
      expect(gateway.emit).not.toHaveBeenCalled();
    });
  });

  describe('removing members', () => {
    beforeEach(() => access.requireOwner.mockResolvedValue(undefined));

    it('should replace the invite code and emit it with the remaining members after the removal', async () => {
      lists.removeMember.mockResolvedValue('member');
      lists.ensureOwner.mockResolvedValue(true);
      lists.rotateInviteCode.mockResolvedValue('XYZ-123');
      lists.membersOf.mockResolvedValue([ana]);
      await service.removeMember(user, 'l1', 'u2');
      expect(lists.removeMember).toHaveBeenCalledWith('l1', 'u2');
      expect(lists.rotateInviteCode).toHaveBeenCalledWith('l1', new Date(NOW.getTime() + 7 * 86_400_000));
      expect(gateway.emit).toHaveBeenCalledWith(
        'l1',
        'list:updated',
        { id: 'l1', members: [ana], inviteCode: expect.any(String) },
        user,
      );
      // The log gets the code sealed, never in clear.
      const logged = gateway.emit.mock.calls[0][2] as { inviteCode: string };
      expect(logged.inviteCode).not.toContain('XYZ');
      expect(codes.openFromLog('l1', logged.inviteCode)).toBe('XYZ-123');
      const [remove, emit] = callOrder(lists.removeMember, gateway.emit);
      expect(remove).toBeLessThan(emit);
    });

    it('should keep the invite code when a member leaves by themselves', async () => {
      lists.removeMember.mockResolvedValue('member');
      lists.ensureOwner.mockResolvedValue(true);
      lists.membersOf.mockResolvedValue([bob]);
      await service.leave(user, 'l1');
      expect(lists.rotateInviteCode).not.toHaveBeenCalled();
      expect(gateway.emit).toHaveBeenCalledWith('l1', 'list:updated', { id: 'l1', members: [bob] }, user);
    });

    it('should delete the list and announce it when the last member leaves', async () => {
      lists.removeMember.mockResolvedValue('owner');
      lists.ensureOwner.mockResolvedValue(false);
      await service.leave(user, 'l1');
      expect(lists.delete).toHaveBeenCalledWith('l1');
      expect(gateway.listDeleted).toHaveBeenCalledWith('l1');
      expect(gateway.emit).not.toHaveBeenCalled();
    });

    it('should answer 404 and emit nothing for a user who is not a member', async () => {
      lists.removeMember.mockResolvedValue(null);
      await expect(service.removeMember(user, 'l1', 'u9')).rejects.toBeInstanceOf(NotFoundException);
      expect(gateway.emit).not.toHaveBeenCalled();
    });

    it('should emit nothing when the removal fails', async () => {
      lists.removeMember.mockRejectedValue(new Error('deadlock'));
      await expect(service.removeMember(user, 'l1', 'u2')).rejects.toThrow('deadlock');
      expect(gateway.emit).not.toHaveBeenCalled();
      expect(gateway.listDeleted).not.toHaveBeenCalled();
    });
  });

  describe('list:updated frames', () => {
    function renderer(): (events: StoredEvent[]) => Promise<StoredEvent[]> {
      const calls = gateway.renderWith.mock.calls.filter(([types]) => types.includes('list:updated'));
      expect(calls).toHaveLength(1);
      return calls[0][1];
    }

    function event(payload: object): StoredEvent {
      return { type: 'list:updated', payload, seq: 5, actorSession: null };
    }

    it('should send the invite code the log keeps sealed in clear', async () => {
      const sent = await renderer()([event({ id: 'l1', inviteCode: codes.sealForLog('l1', 'XYZ-123') })]);
      expect(sent).toEqual([event({ id: 'l1', inviteCode: 'XYZ-123' })]);
    });

    it('should leave out a code sealed for another list (or under another secret), and pass other changes through', async () => {
      const moved = event({ id: 'l2', name: 'Party', inviteCode: codes.sealForLog('l1', 'XYZ-123') });
      const renamed = event({ id: 'l1', name: 'Weekend', version: 2 });
      expect(await renderer()([moved, renamed])).toEqual([event({ id: 'l2', name: 'Party' }), renamed]);
    });
  });
});

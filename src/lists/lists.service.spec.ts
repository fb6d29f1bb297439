import { NotFoundException } from '@nestjs/common';
import { ApiError } from '../common/http/error-body';
import { RateLimitRepository } from '../common/rate-limit/rate-limit.repository';
import { ListAccess } from './list-access.service';
import { ListsRepository } from './lists.repository';
import { ListsService } from './lists.service';

const user = { id: 'u1', sessionId: 's1' };
const config = { invite: { maxFailures: 3, failureWindowMs: 60_000 } };

describe('ListsService.join', () => {
  let lists: jest.Mocked<Pick<ListsRepository, 'joinByCode' | 'view'>>;
  let rateLimits: jest.Mocked<Pick<RateLimitRepository, 'hit' | 'refund'>>;
  let service: ListsService;

  beforeEach(() => {
    lists = { joinByCode: jest.fn(), view: jest.fn() };
    rateLimits = { hit: jest.fn().mockResolvedValue(1), refund: jest.fn() };
    const access = { requireMember: jest.fn().mockResolvedValue('member') };
    service = new ListsService(
      lists as unknown as ListsRepository,
      access as unknown as ListAccess,
      rateLimits as unknown as RateLimitRepository,
      config as never,
    );
  });

  it('should refuse with 429 without looking the code up once the user is over the limit', async () => {
    rateLimits.hit.mockResolvedValue(4);
    await expect(service.join(user, { inviteCode: 'ABCD-EFGH' })).rejects.toMatchObject({ statusCode: 429 });
    await expect(service.join(user, { inviteCode: 'ABCD-EFGH' })).rejects.toBeInstanceOf(ApiError);
    expect(lists.joinByCode).not.toHaveBeenCalled();
  });

  it('should count a wrong code against the user and answer 404', async () => {
    lists.joinByCode.mockResolvedValue(null);
    await expect(service.join(user, { inviteCode: 'ABCD-EFGH' })).rejects.toBeInstanceOf(NotFoundException);
    expect(rateLimits.hit).toHaveBeenCalledWith('invite-attempts:u1', 60_000);
    expect(rateLimits.refund).not.toHaveBeenCalled();
  });

  it('should give the attempt back when the code was right', async () => {
    lists.joinByCode.mockResolvedValue('l1');
    lists.view.mockResolvedValue({
      list: { id: 'l1', name: 'L', inviteCode: 'ABCD-EFGH', createdAt: new Date(), seq: '0', version: 1 },
      members: [],
      items: [],
    } as never);
    await service.join(user, { inviteCode: 'ABCD-EFGH' });
    expect(rateLimits.refund).toHaveBeenCalledWith('invite-attempts:u1');
  });

  it('should count a malformed code without querying lists', async () => {
    await expect(service.join(user, { inviteCode: '!!' })).rejects.toBeInstanceOf(NotFoundException);
    expect(lists.joinByCode).not.toHaveBeenCalled();
    expect(rateLimits.hit).toHaveBeenCalledTimes(1);
  });

  it('should look the code up in canonical form (upper case, dash, Crockford folding)', async () => {
    lists.joinByCode.mockResolvedValue(null);
    await expect(service.join(user, { inviteCode: 'abcdefgo' })).rejects.toBeInstanceOf(NotFoundException);
    expect(lists.joinByCode).toHaveBeenCalledWith('ABCD-EFG0', 'u1');
  });
});

import { BadRequestException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { AuthUser } from '../common/decorators/current-user.decorator';
import { newInviteCode, normalizeInviteCode } from '../common/crypto/secrets';
import { ApiError } from '../common/http/error-body';
import { parseIfMatch } from '../common/http/if-match';
import { RateLimitRepository } from '../common/rate-limit/rate-limit.repository';
import { authConfig } from '../config/auth.config';
import { toItemResponse } from '../items/dto/item.response';
import { CreateListDto, JoinListDto, UpdateListDto } from './dto/list.dto';
import { ListResponse, ListSummaryResponse } from './dto/list.response';
import { ListAccess } from './list-access.service';
import { ListRole } from './list.entity';
import { ListsRepository, ListView } from './lists.repository';

const CODE_ATTEMPTS = 5;

export function toListResponse(view: ListView, role: ListRole): ListResponse {
  return {
    id: view.list.id,
    name: view.list.name,
    inviteCode: view.list.inviteCode,
    members: view.members.map((m) => ({ id: m.id, name: m.name, email: m.email, role: m.role })),
    items: view.items.map(toItemResponse),
    createdAt: view.list.createdAt.toISOString(),
    role,
    seq: Number(view.list.seq),
    version: view.list.version,
  };
}

@Injectable()
export class ListsService {
  constructor(
    private readonly lists: ListsRepository,
    private readonly access: ListAccess,
    private readonly rateLimits: RateLimitRepository,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
  ) {}

  async mine(user: AuthUser): Promise<ListSummaryResponse[]> {
    const rows = await this.lists.summariesOf(user.id);
    return rows.map((row) => ({ ...row, createdAt: row.createdAt.toISOString(), seq: Number(row.seq) }));
  }

  async create(user: AuthUser, dto: CreateListDto): Promise<ListResponse> {
    for (let attempt = 0; attempt < CODE_ATTEMPTS; attempt++) {
      const listId = await this.lists.create(user.id, dto.name, newInviteCode());
      if (listId) return this.view(listId, 'owner');
    }
    throw new Error('Could not find a free invite code');
  }

  /** With `storeId`, items come in that store's walking order (unknown positions last). */
  async get(user: AuthUser, listId: string, storeId?: string): Promise<ListResponse> {
    const role = await this.access.requireMember(user.id, listId);
    if (!storeId) return this.view(listId, role);
    const view = await this.lists.viewInStoreOrder(listId, storeId.toLowerCase());
    if (view === 'store-not-found') throw new NotFoundException('Store not found.');
    if (!view) throw new NotFoundException('List not found.');
    return toListResponse(view, role);
  }

  /** With `If-Match: <version>`, a list renamed meanwhile answers 412 and the current list. */
  async rename(user: AuthUser, listId: string, dto: UpdateListDto, ifMatch?: string): Promise<ListResponse> {
    const expectedVersion = parseIfMatch(ifMatch);
    const role = await this.access.requireMember(user.id, listId);
    const outcome = await this.lists.rename(listId, dto.name, user.id, expectedVersion);
    if (!outcome) throw new NotFoundException('List not found.');
    if (outcome.kind === 'stale') {
      const current = await this.view(listId, role);
      throw new ApiError(412, 'The list changed since you read it.', undefined, { current });
    }
    return this.view(listId, role);
  }

  /**
   * Joining twice is a no-op. Join attempts are counted per user before the lookup (one
   * atomic increment, so parallel guesses cannot slip past the limit, on any instance);
   * a successful join gives its attempt back.
   */
  async join(user: AuthUser, dto: JoinListDto): Promise<ListResponse> {
    const { maxFailures, failureWindowMs } = this.config.invite;
    const key = `invite-attempts:${user.id}`;
    if ((await this.rateLimits.hit(key, failureWindowMs)) > maxFailures) {
      throw new ApiError(429, 'Too many wrong invite codes; please wait a few minutes and try again.');
    }
    const code = normalizeInviteCode(dto.inviteCode);
    const listId = code ? await this.lists.joinByCode(code, user.id) : null;
    if (!listId) throw new NotFoundException('No list has that invite code.');
    await this.rateLimits.refund(key);
    const role = await this.access.requireMember(user.id, listId);
    return this.view(listId, role);
  }

  async rotateInviteCode(user: AuthUser, listId: string): Promise<ListResponse> {
    await this.access.requireOwner(user.id, listId);
    for (let attempt = 0; attempt < CODE_ATTEMPTS; attempt++) {
      if (await this.lists.replaceInviteCode(listId, newInviteCode(), user.id)) return this.view(listId, 'owner');
    }
    throw new Error('Could not find a free invite code');
  }

  async delete(user: AuthUser, listId: string): Promise<void> {
    await this.access.requireOwner(user.id, listId);
    await this.lists.delete(listId);
  }

  async leave(user: AuthUser, listId: string): Promise<void> {
    await this.access.requireMember(user.id, listId);
    await this.lists.removeMember(listId, user.id, user.id);
  }

  async removeMember(user: AuthUser, listId: string, memberId: string): Promise<void> {
    await this.access.requireOwner(user.id, listId);
    if (memberId === user.id) throw new BadRequestException('To leave your own list, use POST /lists/:id/leave.');
    const outcome = await this.lists.removeMember(listId, memberId, user.id);
    if (outcome.kind === 'not-member') throw new NotFoundException('That user is not a member of this list.');
  }

  private async view(listId: string, role: ListRole): Promise<ListResponse> {
    const view = await this.lists.view(listId);
    if (!view) throw new NotFoundException('List not found.');
    return toListResponse(view, role);
  }
}

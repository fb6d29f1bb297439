import { Transactional } from '@nestjs-cls/transactional';
import {
  BadRequestException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ListAccess } from '../access/list-access.service';
import type { ListRole } from '../access/list-role';
import type { ItemResponse } from '../items/dto/item.response';
import { Clock } from '../common/clock/clock';
import { ClientInfo } from '../common/decorators/client-info.decorator';
import { AuthUser } from '../common/decorators/current-user.decorator';
import { normalizeInviteCode } from '../common/crypto/secrets';
import { ApiError } from '../common/http/error-body';
import { parseIfMatch } from '../common/http/if-match';
import { Subjects, Throttles } from '../common/rate-limit/throttles';
import { authConfig } from '../config/auth.config';
import { ItemEntity } from '../items/item.entity';
import { StoredEvent } from '../events/stored-event';
import { ItemsRepository } from '../items/items.repository';
import { QuotaExceeded } from '../quotas/quota-exceeded';
import { Quotas } from '../quotas/quotas.service';
import { RealtimeGateway } from '../realtime/realtime.gateway';
import { StoresService } from '../stores/stores.service';
import { CreateListDto, JoinListDto, UpdateListDto } from './dto/list.dto';
import {
  ListResponse,
  ListSummaryResponse,
  toListResponse,
  listViewJson,
  toListSummaryResponse,
  ListUpdatedPayload,
  toMemberResponse,
} from './dto/list.response';
import { InviteCodes } from './invite-codes';
import { ListsRepository, ListView } from './lists.repository';

/** Plain codes of existing lists sealed per transaction at boot (see onApplicationBootstrap). */
const SEAL_BATCH = 500;

@Injectable()
export class ListsService implements OnApplicationBootstrap {
  private readonly logger = new Logger(ListsService.name);

  constructor(
    private readonly lists: ListsRepository,
    private readonly items: ItemsRepository,
    private readonly stores: StoresService,
    private readonly access: ListAccess,
    private readonly gateway: RealtimeGateway,
    private readonly quotas: Quotas,
    private readonly throttles: Throttles,
    private readonly clock: Clock,
    private readonly codes: InviteCodes,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
  ) {
    // The log keeps invite codes sealed; members get them in clear when the frame is sent.
    this.gateway.renderWith(['list:updated'], (events) => Promise.resolve(events.map((e) => this.withInviteCode(e))));
  }

  /** Lists from before codes were sealed (SealedSecrets1764200000004): their codes are sealed before the server serves. */
  async onApplicationBootstrap(): Promise<void> {
    let sealed = 0;
    for (;;) {
      const taken = await this.sealPlainCodes();
      sealed += taken;
      if (taken < SEAL_BATCH) break;
    }
    if (sealed > 0) this.logger.log(`sealed the invite codes of ${sealed} lists`);
  }

  async mine(user: AuthUser): Promise<ListSummaryResponse[]> {
    const rows = await this.lists.summariesOf(user.id);
    return rows.map(toListSummaryResponse);
  }

  /** Counts against the creator's list quota (registration's first list is the first of it). */
  @Transactional()
  async create(user: AuthUser, dto: CreateListDto): Promise<ListResponse> {
    const listId = await this.createWithOwner(user.id, dto.name);
    await this.quotas.listAdded(user.id);
    return this.view(listId, 'owner');
  }

  /** A new list owned by `ownerId`, with a fresh invite code; inside the caller's unit of work (registration too). */
  createWithOwner(ownerId: string, name: string): Promise<string> {
    return this.lists.createWithOwner(ownerId, name, this.codeExpiry());
  }

  /**
   * The list as a `ListResponse`'s JSON text (`listViewJson`). With `storeId`, items come in
   * that store's walking order (unknown positions last). A member reading a list whose invite
   * code expired gets a fresh one (and so do the others, through `list:updated`).
   */
  async get(user: AuthUser, listId: string, storeId?: string): Promise<string> {
    let view = await this.read(user, listId);
    if (view.list.inviteExpiresAt.getTime() <= this.clock.now().getTime()) {
      await this.renewExpiredCode(user, listId);
      view = await this.read(user, listId);
    }
    if (!storeId) return listViewJson(view);
    const items = JSON.parse(view.itemsJson) as ItemResponse[];
    return listViewJson(view, await this.stores.inWalkingOrder(listId, storeId.toLowerCase(), items));
  }

  /** With `If-Match: <version>`, a list renamed meanwhile answers 412 and the current list. */
  @Transactional()
  async rename(user: AuthUser, listId: string, dto: UpdateListDto, ifMatch?: string): Promise<ListResponse> {
    const expectedVersion = parseIfMatch(ifMatch);
    const role = await this.access.requireMember(user.id, listId);
    const list = await this.lists.lock(listId);
    if (!list) throw new NotFoundException('List not found.');
    if (expectedVersion !== undefined && list.version !== expectedVersion) {
      const current = await this.view(listId, role);
      throw new ApiError(412, 'The list changed since you read it.', undefined, { current });
    }
    if (list.name !== dto.name) {
      const version = list.version + 1;
      await this.lists.rename(listId, dto.name, version);
      await this.gateway.emit(listId, 'list:updated', { id: listId, name: dto.name, version }, user);
    }
    return this.view(listId, role);
  }

  /**
   * Joining twice is a no-op. Join attempts are counted per user and per address before the
   * lookup (atomic increments, outside the join's transaction, so parallel guesses cannot
   * slip past the limit on any instance); a right code gives its attempt back, also when a
   * quota (the list's members, the joiner's lists) refuses the join.
   */
  async join(user: AuthUser, dto: JoinListDto, client: ClientInfo): Promise<ListResponse> {
    const attempt: Subjects = { invitePerUser: user.id, invitePerIp: client.ip };
    await this.throttles.take(attempt);
    const refund = () => this.throttles.refund(attempt);
    const code = normalizeInviteCode(dto.inviteCode);
    const joined = code
      ? await this.joinByCode(user, code).catch(async (error: unknown) => {
          if (error instanceof QuotaExceeded) await refund();
          throw error;
        })
      : null;
    if (!joined) throw new NotFoundException('No list has that invite code.');
    await refund();
    return joined;
  }

  @Transactional()
  async rotateInviteCode(user: AuthUser, listId: string): Promise<ListResponse> {
    await this.access.requireOwner(user.id, listId);
    const inviteCode = await this.lists.rotateInviteCode(listId, this.codeExpiry());
    await this.gateway.emit(
      listId,
      'list:updated',
      { id: listId, inviteCode: this.codes.sealForLog(listId, inviteCode) },
      user,
    );
    return this.view(listId, 'owner');
  }

  /** The list goes with its items, stores, trips and log; its sockets are closed on commit. */
  @Transactional()
  async delete(user: AuthUser, listId: string): Promise<void> {
    await this.access.requireOwner(user.id, listId);
    await this.lists.delete(listId);
    await this.gateway.listDeleted(listId);
  }

  async leave(user: AuthUser, listId: string): Promise<void> {
    await this.access.requireMember(user.id, listId);
    await this.removeFromList(user, listId, user.id);
  }

  async removeMember(user: AuthUser, listId: string, memberId: string): Promise<void> {
    await this.access.requireOwner(user.id, listId);
    // Ids are compared as the server writes them: an upper-case spelling of your own id is still you.
    const userId = memberId.toLowerCase();
    if (userId === user.id) throw new BadRequestException('To leave your own list, use POST /lists/:id/leave.');
    if (!(await this.removeFromList(user, listId, userId))) {
      throw new NotFoundException('That user is not a member of this list.');
    }
  }

  /**
   * Account deletion: the user leaves every list, in the caller's unit of work, as `leave` does
   * one. A list they were alone in is deleted (its items, stores, trips and receipt files with
   * it) and its sockets closed; a list they owned with others passes to its longest-standing
   * other member; every list left gets `list:updated` with its members, on which the user's own
   * sockets there are closed (4403).
   */
  @Transactional()
  async leaveAll(user: AuthUser): Promise<void> {
    for (const listId of await this.lists.listIdsOf(user.id)) await this.removeFromList(user, listId, user.id);
  }

  /** Joining counts against the list's member quota and the joiner's list quota; joining twice adds nothing. */
  @Transactional()
  private async joinByCode(user: AuthUser, inviteCode: string): Promise<ListResponse | null> {
    const list = await this.lists.lockByInviteCode(inviteCode, this.clock.now());
    if (!list) return null;
    if (await this.lists.addMember(list, user.id)) {
      await this.quotas.memberAdded(list.id, user.id);
      await this.membersChanged(list.id, user);
    }
    const role = await this.access.requireMember(user.id, list.id);
    return this.view(list.id, role);
  }

  /**
   * When the owner leaves, the longest-standing member becomes owner; when the last member
   * leaves, the list is deleted. A member removed by someone else has seen the invite code,
   * so it is replaced in the same unit of work (and `list:updated` says so). False when that
   * user was not a member.
   */
  @Transactional()
  private async removeFromList(actor: AuthUser, listId: string, userId: string): Promise<boolean> {
    if (!(await this.lists.lock(listId))) return false;
    if (!(await this.lists.removeMember(listId, userId))) return false;
    if (await this.lists.ensureOwner(listId)) {
      const inviteCode = userId === actor.id ? undefined : await this.lists.rotateInviteCode(listId, this.codeExpiry());
      await this.membersChanged(listId, actor, inviteCode);
    } else {
      await this.lists.delete(listId);
      await this.gateway.listDeleted(listId);
    }
    return true;
  }

  private async membersChanged(listId: string, actor: AuthUser, inviteCode?: string): Promise<void> {
    const members = (await this.lists.membersOf(listId)).map(toMemberResponse);
    await this.gateway.emit(
      listId,
      'list:updated',
      { id: listId, members, ...(inviteCode ? { inviteCode: this.codes.sealForLog(listId, inviteCode) } : {}) },
      actor,
    );
  }

  /** Replaces the invite code once it has expired (checked again under the list's lock: one renewal). */
  @Transactional()
  private async renewExpiredCode(user: AuthUser, listId: string): Promise<void> {
    const now = this.clock.now();
    const locked = await this.lists.lock(listId);
    if (!locked || locked.inviteExpiresAt > now) return;
    const inviteCode = await this.lists.rotateInviteCode(listId, this.codeExpiry());
    await this.gateway.emit(
      listId,
      'list:updated',
      { id: listId, inviteCode: this.codes.sealForLog(listId, inviteCode) },
      user,
    );
  }

  @Transactional()
  private sealPlainCodes(): Promise<number> {
    return this.lists.sealPlainCodes(SEAL_BATCH, this.clock.now());
  }

  /** A `list:updated` from the log as it is sent: its invite code opened (left out if it cannot be). */
  private withInviteCode(event: StoredEvent): StoredEvent {
    const { inviteCode, ...rest } = event.payload as ListUpdatedPayload;
    if (inviteCode === undefined) return event;
    const opened = this.codes.openFromLog(rest.id, inviteCode);
    return { ...event, payload: opened === null ? rest : { ...rest, inviteCode: opened } };
  }

  private codeExpiry(): Date {
    return new Date(this.clock.now().getTime() + this.config.invite.ttlMs);
  }

  /**
   * The list as the caller sees it: membership, list, members and items in one statement
   * (`ListsRepository.viewFor`, no entity hydration: PostgreSQL writes the members' and items'
   * JSON). A non-member gets the same 404 as for a list that does not exist
   * (ListAccess.requireMember's answer).
   */
  private async read(user: AuthUser, listId: string): Promise<ListView & { role: ListRole }> {
    const view = await this.lists.viewFor(listId, user.id);
    if (!view?.role) throw new NotFoundException('List not found.');
    return view as ListView & { role: ListRole };
  }

  private async view(
    listId: string,
    role: ListRole,
    order: (items: ItemEntity[]) => Promise<ItemEntity[]> = (items) => Promise.resolve(items),
  ): Promise<ListResponse> {
    // One after another: inside a unit of work they share one connection.
    const list = await this.lists.find(listId);
    if (!list) throw new NotFoundException('List not found.');
    const members = await this.lists.membersOf(listId);
    const items = await order(await this.items.inList(listId));
    return toListResponse(list, members, items, role);
  }
}

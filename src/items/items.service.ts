import { Transactional } from '@nestjs-cls/transactional';
import { ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ListAccess, listNotFound } from '../access/list-access.service';
import { Clock } from '../common/clock/clock';
import { AuthUser } from '../common/decorators/current-user.decorator';
import { acceptClientTime } from '../common/http/client-time';
import { ApiError } from '../common/http/error-body';
import { parseIfMatch } from '../common/http/if-match';
import { clientTimeConfig } from '../config/client-time.config';
import { Quotas } from '../quotas/quotas.service';
import { RealtimeGateway } from '../realtime/realtime.gateway';
import { CreateItemDto, UpdateItemDto } from './dto/item.dto';
import { ItemResponse, toItemResponse } from './dto/item.response';
import { ItemEntity } from './item.entity';
import { ItemsRepository } from './items.repository';

export const DEFAULT_UNIT = '×';

const EDITABLE = ['name', 'quantity', 'unit', 'note', 'category'] as const;

@Injectable()
export class ItemsService {
  constructor(
    private readonly items: ItemsRepository,
    private readonly access: ListAccess,
    private readonly gateway: RealtimeGateway,
    private readonly quotas: Quotas,
    private readonly clock: Clock,
    @Inject(clientTimeConfig.KEY) private readonly clientTime: ConfigType<typeof clientTimeConfig>,
  ) {}

  /**
   * A retried add with the same client id answers the item it made, and emits nothing new
   * (nor is it refused by the list's quota: it adds nothing). The membership check, the quota,
   * the row and its `item:added` event are one statement (`ItemsRepository.add`): one round
   * trip where they were six (issue 12), with the same guarantees.
   */
  async add(user: AuthUser, listId: string, dto: CreateItemDto): Promise<ItemResponse> {
    const outcome = await this.items.add(
      listId,
      { userId: user.id, sessionId: user.sessionId },
      {
        name: dto.name,
        quantity: dto.quantity ?? 1,
        unit: dto.unit || DEFAULT_UNIT,
        note: dto.note || null,
        category: dto.category || null,
      },
      this.quotas.itemsPerList,
      dto.id?.toLowerCase(),
    );
    switch (outcome.kind) {
      case 'not-member':
        throw listNotFound();
      case 'id-taken':
        throw new ConflictException('That item id is already in use.');
      case 'over-quota':
        throw this.quotas.itemsPerListExceeded();
      case 'added':
      case 'existing':
        return toItemResponse(outcome.item);
    }
  }

  /**
   * Field-by-field changes under a row lock; `version` grows only when something changed.
   * Checking records who and when: the phone's `checkedAt` (part B, within the client-time
   * bounds, else 400 before anything is read) or the server's time, with the server's time
   * kept beside it; re-checking a checked item keeps the first check. Unchecking clears them.
   * With `If-Match: <version>` a concurrent change answers 412 and the current item. Four round
   * trips: BEGIN, membership + lock, write + event, COMMIT (they were six, issue 12).
   */
  @Transactional()
  async update(
    user: AuthUser,
    listId: string,
    itemId: string,
    dto: UpdateItemDto,
    ifMatch?: string,
  ): Promise<ItemResponse> {
    const expectedVersion = parseIfMatch(ifMatch);
    const now = this.clock.now();
    const checkedAt = dto.checkedAt
      ? acceptClientTime('checkedAt', dto.checkedAt, now, this.clientTime.maxAgeDays)
      : now;
    const item = await this.items.lockForMember(listId, itemId, user.id);
    if (item === 'not-member') throw listNotFound();
    if (!item) throw new NotFoundException('Item not found.');
    if (expectedVersion !== undefined && item.version !== expectedVersion) {
      throw new ApiError(412, 'The item changed since you read it.', undefined, { current: toItemResponse(item) });
    }
    if (!this.apply(item, dto, user, { checkedAt, receivedAt: now })) return toItemResponse(item);
    item.version += 1;
    // The write appends item:updated itself, in the same statement (ItemsRepository.saveLogged).
    return toItemResponse(await this.items.saveLogged(item, { userId: user.id, sessionId: user.sessionId }));
  }

  @Transactional()
  async remove(user: AuthUser, listId: string, itemId: string): Promise<void> {
    await this.access.requireMember(user.id, listId);
    if (!(await this.items.remove(listId, itemId))) throw new NotFoundException('Item not found.');
    await this.gateway.emit(listId, 'item:removed', { id: itemId }, user);
  }

  /** Applies the changes that differ; false when nothing did. */
  private apply(
    item: ItemEntity,
    dto: UpdateItemDto,
    user: AuthUser,
    check: { checkedAt: Date; receivedAt: Date },
  ): boolean {
    const changes = {
      ...dto,
      ...(dto.unit !== undefined ? { unit: dto.unit || DEFAULT_UNIT } : {}),
      ...(dto.note !== undefined ? { note: dto.note || null } : {}),
      ...(dto.category !== undefined ? { category: dto.category || null } : {}),
    };
    let changed = false;
    for (const field of EDITABLE) {
      const value = changes[field];
      if (value !== undefined && item[field] !== value) {
        Object.assign(item, { [field]: value });
        changed = true;
      }
    }
    if (changes.checked !== undefined && changes.checked !== item.checked) {
      item.checked = changes.checked;
      item.checkedBy = changes.checked ? user.id : null;
      item.checkedAt = changes.checked ? check.checkedAt : null;
      item.checkedReceivedAt = changes.checked ? check.receivedAt : null;
      changed = true;
    }
    return changed;
  }
}

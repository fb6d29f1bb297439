import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { AuthUser } from '../common/decorators/current-user.decorator';
import { ApiError } from '../common/http/error-body';
import { parseIfMatch } from '../common/http/if-match';
import { ListAccess } from '../lists/list-access.service';
import { CreateItemDto, UpdateItemDto } from './dto/item.dto';
import { ItemResponse, toItemResponse } from './dto/item.response';
import { ItemsRepository } from './items.repository';

export const DEFAULT_UNIT = '×';

@Injectable()
export class ItemsService {
  constructor(
    private readonly items: ItemsRepository,
    private readonly access: ListAccess,
  ) {}

  async add(user: AuthUser, listId: string, dto: CreateItemDto): Promise<ItemResponse> {
    await this.access.requireMember(user.id, listId);
    const outcome = await this.items.add(
      listId,
      user.id,
      {
        name: dto.name,
        quantity: dto.quantity ?? 1,
        unit: dto.unit || DEFAULT_UNIT,
        note: dto.note || null,
        category: dto.category || null,
      },
      dto.id?.toLowerCase(),
    );
    if (outcome.kind === 'id-taken') throw new ConflictException('That item id is already in use.');
    return toItemResponse(outcome.item);
  }

  /** Field-by-field changes; with `If-Match: <version>` a concurrent change answers 412 and the current item. */
  async update(
    user: AuthUser,
    listId: string,
    itemId: string,
    dto: UpdateItemDto,
    ifMatch?: string,
  ): Promise<ItemResponse> {
    const expectedVersion = parseIfMatch(ifMatch);
    await this.access.requireMember(user.id, listId);
    const outcome = await this.items.update(
      listId,
      itemId,
      {
        ...dto,
        ...(dto.unit !== undefined ? { unit: dto.unit || DEFAULT_UNIT } : {}),
        ...(dto.note !== undefined ? { note: dto.note || null } : {}),
        ...(dto.category !== undefined ? { category: dto.category || null } : {}),
      },
      user.id,
      expectedVersion,
    );
    if (!outcome) throw new NotFoundException('Item not found.');
    if (outcome.kind === 'stale') {
      throw new ApiError(412, 'The item changed since you read it.', undefined, {
        current: toItemResponse(outcome.item),
      });
    }
    return toItemResponse(outcome.item);
  }

  async remove(user: AuthUser, listId: string, itemId: string): Promise<void> {
    await this.access.requireMember(user.id, listId);
    if (!(await this.items.remove(listId, itemId, user.id))) throw new NotFoundException('Item not found.');
  }
}

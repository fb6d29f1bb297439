import { Injectable, NotFoundException } from '@nestjs/common';
import { AuthUser } from '../common/decorators/current-user.decorator';
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
    const item = await this.items.add(listId, user.id, {
      name: dto.name,
      quantity: dto.quantity ?? 1,
      unit: dto.unit || DEFAULT_UNIT,
      note: dto.note || null,
      category: dto.category || null,
    });
    return toItemResponse(item);
  }

  async update(user: AuthUser, listId: string, itemId: string, dto: UpdateItemDto): Promise<ItemResponse> {
    await this.access.requireMember(user.id, listId);
    const item = await this.items.update(
      listId,
      itemId,
      {
        ...dto,
        ...(dto.unit !== undefined ? { unit: dto.unit || DEFAULT_UNIT } : {}),
        ...(dto.note !== undefined ? { note: dto.note || null } : {}),
        ...(dto.category !== undefined ? { category: dto.category || null } : {}),
      },
      user.id,
    );
    if (!item) throw new NotFoundException('Item not found.');
    return toItemResponse(item);
  }

  async remove(user: AuthUser, listId: string, itemId: string): Promise<void> {
    await this.access.requireMember(user.id, listId);
    if (!(await this.items.remove(listId, itemId))) throw new NotFoundException('Item not found.');
  }
}

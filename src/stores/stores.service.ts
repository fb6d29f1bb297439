import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { Clock } from '../common/clock/clock';
import { AuthUser } from '../common/decorators/current-user.decorator';
import { ListAccess } from '../lists/list-access.service';
import { CreateStoreDto, PostOrderDto } from './dto/store.dto';
import { StoreResponse } from './dto/store.response';
import { StoresRepository } from './stores.repository';

@Injectable()
export class StoresService {
  constructor(
    private readonly stores: StoresRepository,
    private readonly access: ListAccess,
    private readonly clock: Clock,
  ) {}

  async list(user: AuthUser, listId: string): Promise<StoreResponse[]> {
    await this.access.requireMember(user.id, listId);
    return this.stores.views(listId);
  }

  async create(user: AuthUser, listId: string, dto: CreateStoreDto): Promise<StoreResponse> {
    await this.access.requireMember(user.id, listId);
    const store = await this.stores.create(listId, dto.name, user.id);
    if (!store) throw new ConflictException('This list already has a store with that name.');
    return store;
  }

  async postOrder(user: AuthUser, listId: string, storeId: string, dto: PostOrderDto): Promise<StoreResponse> {
    await this.access.requireMember(user.id, listId);
    const names = dto.order.map((name) => name.trim()).filter(Boolean);
    if (!(await this.stores.postOrder(listId, storeId, names, user.id, this.clock.now()))) {
      throw new NotFoundException('Store not found.');
    }
    return this.get(listId, storeId);
  }

  private async get(listId: string, storeId: string): Promise<StoreResponse> {
    const [store] = await this.stores.views(listId, storeId);
    if (!store) throw new NotFoundException('Store not found.');
    return store;
  }
}

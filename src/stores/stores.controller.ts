import { Body, Controller, Get, HttpCode, Param } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser } from '../common/decorators/current-user.decorator';
import { ApiAuth, ApiErrors } from '../common/http/api-errors.decorator';
import { ApiQuota } from '../quotas/api-quota.decorator';
import { UuidParam } from '../common/http/uuid-param.pipe';
import { CreateStoreDto, PostOrderDto } from './dto/store.dto';
import { StoreResponse } from './dto/store.response';
import { StoresService } from './stores.service';
import { IdempotentPost } from '../common/idempotency/idempotent-post.decorator';

@ApiTags('stores')
@ApiAuth()
@Controller('lists/:listId/stores')
export class StoresController {
  constructor(private readonly stores: StoresService) {}

  @Get()
  @ApiOkResponse({ type: [StoreResponse] })
  @ApiErrors(400, 404)
  list(@CurrentUser() user: AuthUser, @Param('listId', UuidParam('listId')) listId: string): Promise<StoreResponse[]> {
    return this.stores.list(user, listId);
  }

  @IdempotentPost()
  @ApiCreatedResponse({ type: StoreResponse })
  @ApiErrors(400, 404)
  @ApiQuota(['MAX_STORES_PER_LIST'], 'the list already has a store of that name.')
  create(
    @CurrentUser() user: AuthUser,
    @Param('listId', UuidParam('listId')) listId: string,
    @Body() dto: CreateStoreDto,
  ): Promise<StoreResponse> {
    return this.stores.create(user, listId, dto);
  }

  /**
   * The order this device checked items in, posted just before completing the trip: learned at
   * once (the answer and the `store:updated` frame show it); the trip completed after it adds
   * only the pairs this order did not cover, so the trip is never counted twice.
   */
  @IdempotentPost(':storeId/order')
  @HttpCode(200)
  @ApiOkResponse({ type: StoreResponse })
  @ApiErrors(400, 404)
  postOrder(
    @CurrentUser() user: AuthUser,
    @Param('listId', UuidParam('listId')) listId: string,
    @Param('storeId', UuidParam('storeId')) storeId: string,
    @Body() dto: PostOrderDto,
  ): Promise<StoreResponse> {
    return this.stores.postOrder(user, listId, storeId, dto);
  }
}

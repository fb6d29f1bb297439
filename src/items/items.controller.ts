import { Body, Controller, Delete, Headers, HttpCode, Param, Patch } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser } from '../common/decorators/current-user.decorator';
import { ApiAuth, ApiErrors } from '../common/http/api-errors.decorator';
import { UuidParam } from '../common/http/uuid-param.pipe';
import { ApiQuota } from '../quotas/api-quota.decorator';
import { CreateItemDto, UpdateItemDto } from './dto/item.dto';
import { ItemResponse } from './dto/item.response';
import { ItemsService } from './items.service';
import { IdempotentPost } from '../common/idempotency/idempotent-post.decorator';

@ApiTags('items')
@ApiAuth()
@Controller('lists/:listId/items')
export class ItemsController {
  constructor(private readonly items: ItemsService) {}

  @IdempotentPost()
  @ApiCreatedResponse({ type: ItemResponse })
  @ApiErrors(400, 404)
  @ApiQuota(['MAX_ITEMS_PER_LIST'], 'the client-generated id is used on another list.')
  add(
    @CurrentUser() user: AuthUser,
    @Param('listId', UuidParam('listId')) listId: string,
    @Body() dto: CreateItemDto,
  ): Promise<ItemResponse> {
    return this.items.add(user, listId, dto);
  }

  /** Changes any of the fields; the ones left out stay as they are. */
  @Patch(':itemId')
  @ApiHeader({
    name: 'If-Match',
    required: false,
    description: 'The version you changed; 412 with `current` if it moved on',
  })
  @ApiOkResponse({ type: ItemResponse })
  @ApiErrors(400, 404, 412)
  update(
    @CurrentUser() user: AuthUser,
    @Param('listId', UuidParam('listId')) listId: string,
    @Param('itemId', UuidParam('itemId')) itemId: string,
    @Body() dto: UpdateItemDto,
    @Headers('if-match') ifMatch?: string,
  ): Promise<ItemResponse> {
    return this.items.update(user, listId, itemId, dto, ifMatch);
  }

  @Delete(':itemId')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiErrors(400, 404)
  remove(
    @CurrentUser() user: AuthUser,
    @Param('listId', UuidParam('listId')) listId: string,
    @Param('itemId', UuidParam('itemId')) itemId: string,
  ): Promise<void> {
    return this.items.remove(user, listId, itemId);
  }
}

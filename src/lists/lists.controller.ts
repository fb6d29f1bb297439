import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Patch, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ApiCreatedResponse, ApiHeader, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ClientInfo as Client, ClientInfo } from '../common/decorators/client-info.decorator';
import { IdempotentOutsideTransaction } from '../common/idempotency/idempotent-outside-transaction.decorator';
import { AuthUser, CurrentUser } from '../common/decorators/current-user.decorator';
import { ApiAuth, ApiErrors } from '../common/http/api-errors.decorator';
import { UuidParam } from '../common/http/uuid-param.pipe';
import { sendJsonText } from '../common/http/json-text';
import { ApiQuota } from '../quotas/api-quota.decorator';
import { CreateListDto, JoinListDto, ListQuery, UpdateListDto } from './dto/list.dto';
import { ListResponse, ListSummaryResponse } from './dto/list.response';
import { ListsService } from './lists.service';
import { IdempotentPost } from '../common/idempotency/idempotent-post.decorator';

@ApiTags('lists')
@ApiAuth()
@Controller('lists')
export class ListsController {
  constructor(private readonly lists: ListsService) {}

  /** The lists the caller is a member of. */
  @Get()
  @ApiOkResponse({ type: [ListSummaryResponse] })
  mine(@CurrentUser() user: AuthUser): Promise<ListSummaryResponse[]> {
    return this.lists.mine(user);
  }

  @IdempotentPost()
  @ApiCreatedResponse({ type: ListResponse })
  @ApiErrors(400)
  @ApiQuota(['MAX_LISTS_PER_USER'])
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateListDto): Promise<ListResponse> {
    return this.lists.create(user, dto);
  }

  /** Joins the list with that invite code; joining twice is a no-op. */
  @IdempotentPost('join')
  @HttpCode(200)
  // Failed attempts are counted outside any unit of work (they must stay counted); joining twice is a no-op anyway.
  @IdempotentOutsideTransaction()
  @ApiOkResponse({ type: ListResponse })
  @ApiErrors(400, 404, 429)
  @ApiQuota(['MAX_MEMBERS_PER_LIST', 'MAX_LISTS_PER_USER'])
  join(@CurrentUser() user: AuthUser, @Body() dto: JoinListDto, @Client() client: ClientInfo): Promise<ListResponse> {
    return this.lists.join(user, dto, client);
  }

  /** The list with its members and items; `?storeId=` orders the items by that store's walking order. */
  /** The body is a `ListResponse` already written as JSON (`listViewJson`): sent as it is. */
  @Get(':id')
  @ApiOkResponse({ type: ListResponse })
  @ApiErrors(400, 404)
  async get(
    @CurrentUser() user: AuthUser,
    @Param('id', UuidParam('id')) id: string,
    @Query() query: ListQuery,
    @Res() response: Response,
  ): Promise<void> {
    sendJsonText(response, await this.lists.get(user, id, query.storeId));
  }

  @Patch(':id')
  @ApiHeader({
    name: 'If-Match',
    required: false,
    description: 'The version you renamed; 412 with `current` if it moved on',
  })
  @ApiOkResponse({ type: ListResponse })
  @ApiErrors(400, 404, 412)
  rename(
    @CurrentUser() user: AuthUser,
    @Param('id', UuidParam('id')) id: string,
    @Body() dto: UpdateListDto,
    @Headers('if-match') ifMatch?: string,
  ): Promise<ListResponse> {
    return this.lists.rename(user, id, dto, ifMatch);
  }

  /** Deletes the list for everyone (owner only). */
  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiErrors(400, 403, 404)
  delete(@CurrentUser() user: AuthUser, @Param('id', UuidParam('id')) id: string): Promise<void> {
    return this.lists.delete(user, id);
  }

  /** Leaves the list; an owner's ownership passes to the longest-standing member, the last one out deletes it. */
  @IdempotentPost(':id/leave')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiErrors(400, 404)
  leave(@CurrentUser() user: AuthUser, @Param('id', UuidParam('id')) id: string): Promise<void> {
    return this.lists.leave(user, id);
  }

  /** Removes a member (owner only). */
  @Delete(':id/members/:userId')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiErrors(400, 403, 404)
  removeMember(
    @CurrentUser() user: AuthUser,
    @Param('id', UuidParam('id')) id: string,
    @Param('userId', UuidParam('userId')) memberId: string,
  ): Promise<void> {
    return this.lists.removeMember(user, id, memberId);
  }

  /** Replaces the invite code, so the old one stops working (owner only). */
  @IdempotentPost(':id/invite-code')
  @HttpCode(200)
  @ApiOkResponse({ type: ListResponse })
  @ApiErrors(400, 403, 404)
  rotateInviteCode(@CurrentUser() user: AuthUser, @Param('id', UuidParam('id')) id: string): Promise<ListResponse> {
    return this.lists.rotateInviteCode(user, id);
  }
}

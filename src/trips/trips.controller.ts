import { Body, Controller, Get, HttpCode, Param, Query, Res, UploadedFile, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiBody, ApiConsumes, ApiCreatedResponse, ApiOkResponse, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { AuthUser, CurrentUser } from '../common/decorators/current-user.decorator';
import { ApiAuth, ApiErrors } from '../common/http/api-errors.decorator';
import { UuidParam } from '../common/http/uuid-param.pipe';
import { ApiQuota } from '../quotas/api-quota.decorator';
import { CompleteTripDto, TripHistoryQuery } from './dto/trip.dto';
import { TripResponse } from './dto/trip.response';
import { TripsService } from './trips.service';
import { IdempotentPost } from '../common/idempotency/idempotent-post.decorator';

@ApiTags('trips')
@ApiAuth()
@Controller('lists/:listId/trips')
export class TripsController {
  constructor(private readonly trips: TripsService) {}

  /** Trip history, newest first; the `X-Next-Before` header carries the cursor of the next page. */
  @Get()
  @ApiOkResponse({ type: [TripResponse], headers: { 'X-Next-Before': { description: 'cursor for ?before=' } } })
  @ApiErrors(400, 404)
  async history(
    @CurrentUser() user: AuthUser,
    @Param('listId', UuidParam('listId')) listId: string,
    @Query() query: TripHistoryQuery,
    @Res({ passthrough: true }) res: Response,
  ): Promise<TripResponse[]> {
    const page = await this.trips.history(user, listId, query);
    if (page.nextBefore) res.setHeader('X-Next-Before', page.nextBefore);
    return page.trips;
  }

  /**
   * Completes the trip: the checked items move into it, unchecked ones stay, the store learns.
   * The list keeps its newest trips (TRIPS_KEPT_PER_LIST, TRIP_ITEMS_KEPT_PER_LIST): older ones go.
   */
  @IdempotentPost()
  @ApiCreatedResponse({ type: TripResponse })
  @ApiErrors(400, 404, 422)
  complete(
    @CurrentUser() user: AuthUser,
    @Param('listId', UuidParam('listId')) listId: string,
    @Body() dto: CompleteTripDto,
  ): Promise<TripResponse> {
    return this.trips.complete(user, listId, dto);
  }

  @Get(':tripId')
  @ApiOkResponse({ type: TripResponse })
  @ApiErrors(400, 404)
  detail(
    @CurrentUser() user: AuthUser,
    @Param('listId', UuidParam('listId')) listId: string,
    @Param('tripId', UuidParam('tripId')) tripId: string,
  ): Promise<TripResponse> {
    return this.trips.detail(user, listId, tripId);
  }

  /** One file in the multipart field `receipt`: JPEG, PNG, WebP, HEIC or PDF, at most 10 MB. */
  @IdempotentPost(':tripId/receipt')
  @HttpCode(200)
  @UseInterceptors(FileInterceptor('receipt'))
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: { type: 'object', properties: { receipt: { type: 'string', format: 'binary' } }, required: ['receipt'] },
  })
  @ApiResponse({ status: 200, type: TripResponse })
  @ApiErrors(400, 404, 413, 415, 422)
  @ApiQuota(['MAX_RECEIPT_BYTES_PER_LIST'])
  attachReceipt(
    @CurrentUser() user: AuthUser,
    @Param('listId', UuidParam('listId')) listId: string,
    @Param('tripId', UuidParam('tripId')) tripId: string,
    @UploadedFile() file: Express.Multer.File | undefined,
  ): Promise<TripResponse> {
    return this.trips.attachReceipt(user, listId, tripId, file);
  }
}

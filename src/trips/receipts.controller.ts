import { Controller, Get, Header, Param, Query, StreamableFile } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/decorators/public.decorator';
import { ApiErrors } from '../common/http/api-errors.decorator';
import { UuidParam } from '../common/http/uuid-param.pipe';
import { TripsService } from './trips.service';

@ApiTags('trips')
@Public()
@Controller('receipts')
export class ReceiptsController {
  constructor(private readonly trips: TripsService) {}

  /** The receipt behind a signed link (`receiptUrl`): no headers needed, the signature is the credential. */
  @Get(':tripId/:file')
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('Content-Security-Policy', "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox")
  @Header('Cross-Origin-Resource-Policy', 'cross-origin')
  @Header('Cache-Control', 'private, max-age=300')
  @ApiOkResponse({
    description: 'The file, with its real type',
    content: Object.fromEntries(
      ['image/jpeg', 'image/png', 'image/webp', 'application/pdf'].map((type) => [
        type,
        { schema: { type: 'string', format: 'binary' } },
      ]),
    ),
  })
  @ApiErrors(400, 403, 404)
  async open(
    @Param('tripId', UuidParam('tripId')) tripId: string,
    @Param('file') file: string,
    @Query('expires') expires?: string,
    @Query('sig') sig?: string,
  ): Promise<StreamableFile> {
    const receipt = await this.trips.openReceipt(tripId, file, expires, sig);
    return new StreamableFile(receipt.body, { type: receipt.contentType, disposition: 'inline' });
  }
}

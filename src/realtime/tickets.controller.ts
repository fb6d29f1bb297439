import { Body, Controller } from '@nestjs/common';
import { ApiCreatedResponse, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser } from '../common/decorators/current-user.decorator';
import { ApiAuth, ApiErrors } from '../common/http/api-errors.decorator';
import { CreateTicketDto } from './dto/ticket.dto';
import { TicketResponse } from './dto/ticket.response';
import { TicketsService } from './tickets.service';
import { IdempotentPost } from '../common/idempotency/idempotent-post.decorator';

@ApiTags('realtime')
@ApiAuth()
@Controller('ws')
export class TicketsController {
  constructor(private readonly tickets: TicketsService) {}

  /** A single-use ticket (60 s) for `ws://…/ws/lists/:listId?ticket=…`. */
  @IdempotentPost('ticket')
  @ApiCreatedResponse({ type: TicketResponse })
  @ApiErrors(400, 404)
  issue(@CurrentUser() user: AuthUser, @Body() dto: CreateTicketDto): Promise<TicketResponse> {
    return this.tickets.issue(user, dto);
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { AuthUser } from '../common/decorators/current-user.decorator';
import { newOpaqueToken, sha256 } from '../common/crypto/secrets';
import { realtimeConfig } from '../config/realtime.config';
import { ListAccess } from '../access/list-access.service';
import { Clock } from '../common/clock/clock';
import { CreateTicketDto } from './dto/ticket.dto';
import { TicketResponse } from './dto/ticket.response';
import { RealtimeRepository } from './realtime.repository';

/** Single-use, short-lived WebSocket tickets, so the long-lived token stays out of URLs. */
@Injectable()
export class TicketsService {
  constructor(
    private readonly repository: RealtimeRepository,
    private readonly access: ListAccess,
    private readonly clock: Clock,
    @Inject(realtimeConfig.KEY) private readonly config: ConfigType<typeof realtimeConfig>,
  ) {}

  async issue(user: AuthUser, dto: CreateTicketDto): Promise<TicketResponse> {
    const listId = dto.listId.toLowerCase();
    await this.access.requireMember(user.id, listId);
    const ticket = newOpaqueToken();
    const expiresAt = new Date(this.clock.now().getTime() + this.config.ticketTtlMs);
    await this.repository.createTicket(
      sha256(ticket),
      { userId: user.id, sessionId: user.sessionId, listId },
      expiresAt,
    );
    return { ticket, expiresAt: expiresAt.toISOString() };
  }
}

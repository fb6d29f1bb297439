import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ListsModule } from '../lists/lists.module';
import { EventsModule } from './events.module';
import { PgListener } from './pg-listener';
import { RealtimeGateway } from './realtime.gateway';
import { RealtimeHub } from './realtime.hub';
import { RealtimeRepository } from './realtime.repository';
import { TicketsController } from './tickets.controller';
import { TicketsService } from './tickets.service';

/**
 * Sockets, fan-out between instances and tickets. Nothing imports this module: feature
 * modules write events through EventsModule, and this module reads them from the log.
 * Membership is the lists module's one check (ListAccess / ListsRepository.roleOf).
 */
@Module({
  imports: [EventsModule, AuthModule, ListsModule],
  controllers: [TicketsController],
  providers: [RealtimeGateway, RealtimeHub, RealtimeRepository, PgListener, TicketsService],
})
export class RealtimeModule {}

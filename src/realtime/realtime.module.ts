import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { ThrottlesModule } from '../common/rate-limit/throttles.module';
import { EventsModule } from '../events/events.module';
import { MetricsModule } from '../metrics/metrics.module';
import { SessionsModule } from '../sessions/sessions.module';
import { FrameRenderers } from './frame-renderers';
import { PgListener } from './pg-listener';
import { RealtimeHandshake } from './realtime-handshake';
import { RealtimeGateway } from './realtime.gateway';
import { RealtimeHub } from './realtime.hub';
import { RealtimeInstance } from './realtime-instance';
import { RealtimeRepository } from './realtime.repository';
import { SocketSlots } from './socket-slots';
import { TicketsController } from './tickets.controller';
import { TicketsService } from './tickets.service';

/**
 * Sockets, fan-out between instances and tickets. Feature services inject the gateway to
 * emit their writes' events; this module needs only what lies below the features: the
 * event log, access tokens, the membership check and the throttles.
 */
@Module({
  imports: [EventsModule, SessionsModule, AccessModule, ThrottlesModule, MetricsModule],
  controllers: [TicketsController],
  providers: [
    RealtimeGateway,
    RealtimeHub,
    RealtimeInstance,
    RealtimeHandshake,
    RealtimeRepository,
    SocketSlots,
    FrameRenderers,
    PgListener,
    TicketsService,
  ],
  exports: [RealtimeGateway],
})
export class RealtimeModule {}

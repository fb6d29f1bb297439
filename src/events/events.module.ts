import { Module } from '@nestjs/common';
import { EventLogRepository } from './event-log.repository';

/** The leaf under realtime: each list's event log, written inside the caller's transaction. */
@Module({ providers: [EventLogRepository], exports: [EventLogRepository] })
export class EventsModule {}

import { Module } from '@nestjs/common';
import { EventLog } from './event-log.repository';

/** The leaf that feature modules import: append to a list's event log inside their transaction. */
@Module({ providers: [EventLog], exports: [EventLog] })
export class EventsModule {}

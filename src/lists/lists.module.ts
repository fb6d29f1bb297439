import { Module } from '@nestjs/common';
import { RateLimitModule } from '../common/rate-limit/rate-limit.module';
import { EventsModule } from '../realtime/events.module';
import { ListAccess } from './list-access.service';
import { ListsController } from './lists.controller';
import { ListsRepository } from './lists.repository';
import { ListsService } from './lists.service';

@Module({
  imports: [RateLimitModule, EventsModule],
  controllers: [ListsController],
  providers: [ListsRepository, ListsService, ListAccess],
  exports: [ListAccess, ListsRepository],
})
export class ListsModule {}

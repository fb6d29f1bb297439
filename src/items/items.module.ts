import { Module } from '@nestjs/common';
import { ListsModule } from '../lists/lists.module';
import { EventsModule } from '../realtime/events.module';
import { ItemsController } from './items.controller';
import { ItemsRepository } from './items.repository';
import { ItemsService } from './items.service';

@Module({
  imports: [ListsModule, EventsModule],
  controllers: [ItemsController],
  providers: [ItemsRepository, ItemsService],
})
export class ItemsModule {}

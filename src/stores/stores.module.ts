import { Module } from '@nestjs/common';
import { ListsModule } from '../lists/lists.module';
import { EventsModule } from '../realtime/events.module';
import { StoresController } from './stores.controller';
import { StoresRepository } from './stores.repository';
import { StoresService } from './stores.service';

@Module({
  imports: [ListsModule, EventsModule],
  controllers: [StoresController],
  providers: [StoresRepository, StoresService],
  exports: [StoresRepository],
})
export class StoresModule {}

import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { QuotasModule } from '../quotas/quotas.module';
import { RealtimeModule } from '../realtime/realtime.module';
import { ItemsController } from './items.controller';
import { ItemsRepository } from './items.repository';
import { ItemsService } from './items.service';

@Module({
  imports: [AccessModule, QuotasModule, RealtimeModule],
  controllers: [ItemsController],
  providers: [ItemsRepository, ItemsService],
  exports: [ItemsRepository],
})
export class ItemsModule {}

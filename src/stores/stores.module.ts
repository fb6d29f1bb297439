import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { ItemsModule } from '../items/items.module';
import { QuotasModule } from '../quotas/quotas.module';
import { RealtimeModule } from '../realtime/realtime.module';
import { StoresController } from './stores.controller';
import { StoresRepository } from './stores.repository';
import { StoresService } from './stores.service';

@Module({
  imports: [AccessModule, ItemsModule, QuotasModule, RealtimeModule],
  controllers: [StoresController],
  providers: [StoresRepository, StoresService],
  exports: [StoresService, StoresRepository],
})
export class StoresModule {}

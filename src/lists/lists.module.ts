import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { ThrottlesModule } from '../common/rate-limit/throttles.module';
import { ItemsModule } from '../items/items.module';
import { QuotasModule } from '../quotas/quotas.module';
import { RealtimeModule } from '../realtime/realtime.module';
import { StoresModule } from '../stores/stores.module';
import { ListsController } from './lists.controller';
import { InviteCodes } from './invite-codes';
import { ListsRepository } from './lists.repository';
import { ListsService } from './lists.service';

@Module({
  imports: [AccessModule, ItemsModule, StoresModule, QuotasModule, RealtimeModule, ThrottlesModule],
  controllers: [ListsController],
  providers: [InviteCodes, ListsRepository, ListsService],
  exports: [ListsRepository, ListsService],
})
export class ListsModule {}

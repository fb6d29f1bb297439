import { Module } from '@nestjs/common';
import { AuthModule } from './auth/auth.module';
import { CoreModule } from './core.module';
import { StoresModule } from './stores/stores.module';
import { SuggestionsModule } from './suggestions/suggestions.module';
import { TripsModule } from './trips/trips.module';
import { ListIdempotencyModule } from './access/list-idempotency.module';
import { RealtimeModule } from './realtime/realtime.module';
import { HealthModule } from './health/health.module';
import { ItemsModule } from './items/items.module';
import { ListsModule } from './lists/lists.module';
import { MetricsModule } from './metrics/metrics.module';

@Module({
  imports: [
    CoreModule,
    MetricsModule,
    ListIdempotencyModule,
    HealthModule,
    AuthModule,
    ListsModule,
    ItemsModule,
    StoresModule,
    TripsModule,
    SuggestionsModule,
    RealtimeModule,
  ],
})
export class AppModule {}

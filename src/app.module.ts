import { ClsPluginTransactional } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Module } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { ClsModule } from 'nestjs-cls';
import { ConfigModule } from '@nestjs/config';
import { AuthModule } from './auth/auth.module';
import { LoggingModule } from './common/logging/logging.module';
import { CONFIG_NAMESPACES, validateEnv } from './config/validate-env';
import { ClockModule } from './common/clock/clock';
import { StoresModule } from './stores/stores.module';
import { SuggestionsModule } from './suggestions/suggestions.module';
import { TripsModule } from './trips/trips.module';
import { DrainingModule } from './common/lifecycle/draining';
import { IdempotencyModule } from './common/idempotency/idempotency.module';
import { AccessModule } from './access/access.module';
import { ListReplayAuthorizer } from './access/list-replay-authorizer';
import { RealtimeModule } from './realtime/realtime.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { ItemsModule } from './items/items.module';
import { ListsModule } from './lists/lists.module';

@Module({
  imports: [
    ConfigModule.forRoot({
      isGlobal: true,
      ignoreEnvFile: true,
      validate: validateEnv,
      load: CONFIG_NAMESPACES,
    }),
    ClsModule.forRoot({
      global: true,
      plugins: [
        // Services open the unit of work (@Transactional); repositories take part through TransactionHost.
        new ClsPluginTransactional({
          imports: [DatabaseModule],
          adapter: new TransactionalAdapterTypeOrm({ dataSourceToken: getDataSourceToken() }),
        }),
      ],
    }),
    LoggingModule,
    DrainingModule,
    ClockModule,
    IdempotencyModule.register({ imports: [AccessModule], authorizer: ListReplayAuthorizer }),
    DatabaseModule,
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

import { ClsPluginTransactional } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { getDataSourceToken } from '@nestjs/typeorm';
import { ClsModule } from 'nestjs-cls';
import { ClockModule } from './common/clock/clock';
import { DrainingModule } from './common/lifecycle/draining';
import { LoggingModule } from './common/logging/logging.module';
import { CONFIG_NAMESPACES, validateEnv } from './config/validate-env';
import { DatabaseModule } from './database/database.module';

/**
 * What every entry point of the server needs, wired once: validated config from the
 * environment, the database (its migrations run on connect), units of work in CLS
 * (services open them with `@Transactional()`, repositories take part through
 * `TransactionHost`), logging, draining and the clock. `AppModule` (HTTP + WebSocket) and the
 * import command (`npm run import:legacy`) build on it.
 */
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
        new ClsPluginTransactional({
          imports: [DatabaseModule],
          adapter: new TransactionalAdapterTypeOrm({ dataSourceToken: getDataSourceToken() }),
        }),
      ],
    }),
    LoggingModule,
    DrainingModule,
    ClockModule,
    DatabaseModule,
  ],
  exports: [LoggingModule, DrainingModule, ClockModule, DatabaseModule],
})
export class CoreModule {}

import { ClsPluginTransactional } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { ConfigModule } from '@nestjs/config';
import { getDataSourceToken } from '@nestjs/typeorm';
import { ClsModule } from 'nestjs-cls';
import { ClockModule } from './common/clock/clock';
import { DrainingModule } from './common/lifecycle/draining';
import { LoggingModule } from './common/logging/logging.module';
import { CONFIG_NAMESPACES, validateEnv } from './config/validate-env';
import { DatabaseModule } from './database/database.module';

const ENHANCERS: unknown[] = [APP_GUARD, APP_INTERCEPTOR];

/**
 * nestjs-cls registers a global guard and a global interceptor even when neither is mounted
 * (we mount none: units of work open in `@Transactional()`), and they then do nothing. A
 * global interceptor puts every request through Nest's RxJS interceptor chain: without these
 * and with IdempotencyInterceptor bound per route, `GET /health` costs half the server's CPU
 * (docs/BENCHMARKS.md). test/global-enhancers.e2e-spec.ts fails if any global one comes back.
 */
function withoutGlobalEnhancers(module: DynamicModule): DynamicModule {
  const strip = (imported: unknown): unknown => {
    if (typeof imported !== 'object' || imported === null || !('module' in imported)) return imported;
    const dynamic = imported as DynamicModule;
    return {
      ...dynamic,
      providers: dynamic.providers?.filter(
        (provider) => !('provide' in provider && ENHANCERS.includes(provider.provide)),
      ),
      imports: dynamic.imports?.map(strip) as DynamicModule['imports'],
    };
  };
  return strip(module) as DynamicModule;
}

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
    withoutGlobalEnhancers(
      ClsModule.forRoot({
        global: true,
        plugins: [
          new ClsPluginTransactional({
            imports: [DatabaseModule],
            adapter: new TransactionalAdapterTypeOrm({ dataSourceToken: getDataSourceToken() }),
          }),
        ],
      }),
    ),
    LoggingModule,
    DrainingModule,
    ClockModule,
    DatabaseModule,
  ],
  exports: [LoggingModule, DrainingModule, ClockModule, DatabaseModule],
})
export class CoreModule {}

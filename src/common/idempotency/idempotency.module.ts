import { DynamicModule, ModuleMetadata, Type } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { IdempotencyRepository } from './idempotency.repository';
import { ReplayAuthorizer } from './replay-authorizer';

export interface IdempotencyOptions {
  /** The modules the authorizer needs. */
  imports: ModuleMetadata['imports'];
  /** Decides whether a stored answer may be replayed to its caller now (see ReplayAuthorizer). */
  authorizer: Type<ReplayAuthorizer>;
}

export class IdempotencyModule {
  static register(options: IdempotencyOptions): DynamicModule {
    return {
      module: IdempotencyModule,
      imports: options.imports,
      providers: [
        IdempotencyRepository,
        { provide: ReplayAuthorizer, useClass: options.authorizer },
        { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
      ],
    };
  }
}

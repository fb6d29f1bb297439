import { DynamicModule, ModuleMetadata, Type } from '@nestjs/common';
import { IdempotencyPurge } from './idempotency-purge';
import { IdempotencyRepository } from './idempotency.repository';
import { ReplayAuthorizer } from './replay-authorizer';

export interface IdempotencyOptions {
  /** The modules the authorizer needs. */
  imports: ModuleMetadata['imports'];
  /** Decides whether a stored answer may be replayed to its caller now (see ReplayAuthorizer). */
  authorizer: Type<ReplayAuthorizer>;
}

/**
 * What `@IdempotentPost()` routes need, for every feature module (global): the records and the
 * replay authorizer. Nest builds the route-bound IdempotencyInterceptor in each controller's
 * module from them; the hourly purge runs once.
 */
export class IdempotencyModule {
  static register(options: IdempotencyOptions): DynamicModule {
    return {
      module: IdempotencyModule,
      global: true,
      imports: options.imports,
      providers: [IdempotencyRepository, IdempotencyPurge, { provide: ReplayAuthorizer, useClass: options.authorizer }],
      exports: [IdempotencyRepository, ReplayAuthorizer],
    };
  }
}

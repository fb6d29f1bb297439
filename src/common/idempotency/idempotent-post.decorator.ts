import { applyDecorators, Post, UseInterceptors } from '@nestjs/common';
import { IdempotencyInterceptor } from './idempotency.interceptor';

/**
 * `@Post(path)` with `Idempotency-Key` honoured (IdempotencyInterceptor). Every POST route is
 * declared with it; test/idempotency-routes.e2e-spec.ts fails for one that is not.
 */
export const IdempotentPost = (path?: string) => applyDecorators(Post(path), UseInterceptors(IdempotencyInterceptor));

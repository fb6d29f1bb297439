import { SetMetadata } from '@nestjs/common';

export const OUTSIDE_TRANSACTION = 'idempotentOutsideTransaction';

/**
 * With an Idempotency-Key, this route's handler runs on its own instead of inside the
 * transaction that also stores its answer (IdempotencyInterceptor). For routes that must
 * not run in one transaction, and only those that are idempotent by nature: if the answer
 * cannot be stored after the write committed, the key stays claimed until its lease ends,
 * and a retry after that runs the route again.
 */
export const IdempotentOutsideTransaction = () => SetMetadata(OUTSIDE_TRANSACTION, true);

import type { Request } from 'express';

/**
 * Asked before a stored answer is replayed: may this caller still see it? A replay skips the
 * handler, and with it the use case's own authorization; an answer about a list the caller has
 * since left must not come back to them. Throws the answer the handler would have given
 * (e.g. 404 List not found.). Provided by the layer that knows who may see what.
 */
export abstract class ReplayAuthorizer {
  abstract authorize(userId: string, request: Request): Promise<void>;
}

import { IdempotencyModule } from '../common/idempotency/idempotency.module';
import { AccessModule } from './access.module';
import { ListReplayAuthorizer } from './list-replay-authorizer';

/**
 * `Idempotency-Key` for the list-scoped POST routes: what their route-bound interceptors need,
 * with replays checked against list membership. Every entry point that loads a controller
 * module with `@IdempotentPost()` routes imports it (the server, the import command).
 */
export const ListIdempotencyModule = IdempotencyModule.register({
  imports: [AccessModule],
  authorizer: ListReplayAuthorizer,
});

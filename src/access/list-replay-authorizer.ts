import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { ReplayAuthorizer } from '../common/idempotency/replay-authorizer';
import { ListAccess } from './list-access.service';

/** The path parameter that names the list on every list-scoped route (`/lists/:id…`, `/lists/:listId/…`). */
function listIdOf(request: Request): string | undefined {
  const path = (request.route as { path?: string } | undefined)?.path ?? '';
  if (!path.startsWith('/lists/:')) return undefined;
  const params = request.params as Record<string, string | undefined>;
  return (params.listId ?? params.id)?.toLowerCase();
}

/** A stored answer about a list is replayed only to a current member of it; others get the outsider's 404. */
@Injectable()
export class ListReplayAuthorizer extends ReplayAuthorizer {
  constructor(private readonly access: ListAccess) {
    super();
  }

  async authorize(userId: string, request: Request): Promise<void> {
    const listId = listIdOf(request);
    if (listId) await this.access.requireMember(userId, listId);
  }
}

import { Module } from '@nestjs/common';
import { ListAccess } from './list-access.service';
import { ListReplayAuthorizer } from './list-replay-authorizer';
import { MembershipsRepository } from './memberships.repository';

/** Below every feature and the gateway: "is this user a member of this list, and as what?" */
@Module({
  providers: [ListAccess, MembershipsRepository, ListReplayAuthorizer],
  exports: [ListAccess, ListReplayAuthorizer],
})
export class AccessModule {}

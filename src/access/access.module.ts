import { Module } from '@nestjs/common';
import { ListAccess } from './list-access.service';
import { MembershipsRepository } from './memberships.repository';

/** Below every feature and the gateway: "is this user a member of this list, and as what?" */
@Module({ providers: [ListAccess, MembershipsRepository], exports: [ListAccess] })
export class AccessModule {}

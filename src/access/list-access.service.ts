import { ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { ListRole } from './list-role';
import { MembershipsRepository } from './memberships.repository';

/** The one membership check every list-scoped use case (and every socket handshake) starts with. */
@Injectable()
export class ListAccess {
  constructor(private readonly memberships: MembershipsRepository) {}

  /** The caller's role; null when the list does not exist or they are not a member of it. */
  roleOf(userId: string, listId: string): Promise<ListRole | null> {
    return this.memberships.roleOf(listId, userId);
  }

  /** The caller's role; 404 for a list that does not exist or that they are not a member of. */
  async requireMember(userId: string, listId: string): Promise<ListRole> {
    const role = await this.memberships.roleOf(listId, userId);
    if (!role) throw new NotFoundException('List not found.');
    return role;
  }

  /** Like requireMember, and 403 for members who are not the owner. */
  async requireOwner(userId: string, listId: string): Promise<void> {
    const role = await this.requireMember(userId, listId);
    if (role !== 'owner') throw new ForbiddenException('Only the owner of the list can do that.');
  }
}

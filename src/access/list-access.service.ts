import { ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { ListRole } from './list-role';
import { Membership, MembershipsRepository } from './memberships.repository';

/** The answer to a list that does not exist or that the caller is not a member of (never a 403: it would say the list exists). */
export function listNotFound(): NotFoundException {
  return new NotFoundException('List not found.');
}

/** The one membership check every list-scoped use case (and every socket handshake) starts with. */
@Injectable()
export class ListAccess {
  constructor(private readonly memberships: MembershipsRepository) {}

  /** The caller's membership; null when the list does not exist or they are not a member of it. */
  membership(userId: string, listId: string): Promise<Membership | null> {
    return this.memberships.find(listId, userId);
  }

  /** Who is a member of each of these lists now (for sockets: membership is current state, never history). */
  membersOf(listIds: string[]): Promise<Map<string, Set<string>>> {
    return this.memberships.membersOf(listIds);
  }

  /** The caller's role; 404 for a list that does not exist or that they are not a member of. */
  async requireMember(userId: string, listId: string): Promise<ListRole> {
    const membership = await this.memberships.find(listId, userId);
    if (!membership) throw listNotFound();
    return membership.role;
  }

  /** Like requireMember, and 403 for members who are not the owner. */
  async requireOwner(userId: string, listId: string): Promise<void> {
    const role = await this.requireMember(userId, listId);
    if (role !== 'owner') throw new ForbiddenException('Only the owner of the list can do that.');
  }
}

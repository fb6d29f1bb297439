import { ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { ListRole } from './list.entity';
import { ListsRepository } from './lists.repository';

/** The one membership check every list-scoped use case starts with. */
@Injectable()
export class ListAccess {
  constructor(private readonly lists: ListsRepository) {}

  /** The caller's role; 404 for a list that does not exist or that they are not a member of. */
  async requireMember(userId: string, listId: string): Promise<ListRole> {
    const role = await this.lists.roleOf(listId, userId);
    if (!role) throw new NotFoundException('List not found.');
    return role;
  }

  /** Like requireMember, and 403 for members who are not the owner. */
  async requireOwner(userId: string, listId: string): Promise<void> {
    const role = await this.requireMember(userId, listId);
    if (role !== 'owner') throw new ForbiddenException('Only the owner of the list can do that.');
  }
}

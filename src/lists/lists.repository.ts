import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { isUniqueViolation } from '../common/database/unique-violation';
import { ItemEntity } from '../items/item.entity';
import { EventLog } from '../realtime/event-log.repository';
import { StoreEntity } from '../stores/store.entity';
import { storeViews } from '../stores/store-learning';
import { ListEntity, ListMemberEntity, ListRole } from './list.entity';

export interface MemberRow {
  id: string;
  name: string;
  email: string;
  role: ListRole;
}

export interface ListView {
  list: ListEntity;
  members: MemberRow[];
  items: ItemEntity[];
}

export interface ListSummaryRow {
  id: string;
  name: string;
  role: ListRole;
  inviteCode: string;
  createdAt: Date;
  seq: string;
  memberCount: number;
  itemCount: number;
  uncheckedCount: number;
}

export type LeaveOutcome = { kind: 'left' } | { kind: 'deleted' } | { kind: 'not-member' };

export type RenameOutcome = { kind: 'renamed' } | { kind: 'stale' } | null;

const MEMBERS_SQL = `SELECT u.id, u.name, u.email, m.role
                       FROM list_members m JOIN users u ON u.id = m.user_id
                      WHERE m.list_id = $1
                      ORDER BY m.joined_at, u.id`;

/** Lists and their members. Every change appends `list:updated` to the list's log in its transaction. */
@Injectable()
export class ListsRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly events: EventLog,
  ) {}

  async roleOf(listId: string, userId: string): Promise<ListRole | null> {
    const member = await this.dataSource.getRepository(ListMemberEntity).findOne({
      select: { role: true },
      where: { listId, userId },
    });
    return member?.role ?? null;
  }

  async listIdsOf(userId: string): Promise<string[]> {
    const rows = await this.dataSource.getRepository(ListMemberEntity).find({
      select: { listId: true },
      where: { userId },
      order: { joinedAt: 'ASC' },
    });
    return rows.map((row) => row.listId);
  }

  async summariesOf(userId: string): Promise<ListSummaryRow[]> {
    const rows: ListSummaryRow[] = await this.dataSource.query(
      `SELECT l.id, l.name, m.role, l.invite_code AS "inviteCode", l.created_at AS "createdAt", l.seq,
              (SELECT count(*)::int FROM list_members x WHERE x.list_id = l.id) AS "memberCount",
              (SELECT count(*)::int FROM items i WHERE i.list_id = l.id) AS "itemCount",
              (SELECT count(*)::int FROM items i WHERE i.list_id = l.id AND NOT i.checked) AS "uncheckedCount"
         FROM list_members m JOIN lists l ON l.id = m.list_id
        WHERE m.user_id = $1
        ORDER BY m.joined_at, l.id`,
      [userId],
    );
    return rows;
  }

  /**
   * Items in the store's learned walking order (positions ascending, unknown last);
   * `store-not-found` when the list has no such store.
   */
  async viewInStoreOrder(listId: string, storeId: string): Promise<ListView | 'store-not-found' | null> {
    const [view, store] = await Promise.all([
      this.view(listId),
      this.dataSource.getRepository(StoreEntity).findOneBy({ id: storeId, listId }),
    ]);
    if (!view) return null;
    if (!store) return 'store-not-found';
    const [{ learnedOrder }] = await storeViews(this.dataSource.manager, [store], view.items);
    const position = (item: ItemEntity) => learnedOrder[item.name] ?? Number.POSITIVE_INFINITY;
    return { ...view, items: [...view.items].sort((x, y) => position(x) - position(y)) };
  }

  async view(listId: string): Promise<ListView | null> {
    const list = await this.dataSource.getRepository(ListEntity).findOneBy({ id: listId });
    if (!list) return null;
    const [members, items] = await Promise.all([
      this.dataSource.query<MemberRow[]>(MEMBERS_SQL, [listId]),
      this.dataSource.getRepository(ItemEntity).find({ where: { listId }, order: { createdAt: 'ASC', id: 'ASC' } }),
    ]);
    return { list, members, items };
  }

  /** A new list owned by its creator; null when the invite code collided (caller retries with a new one). */
  async create(ownerId: string, name: string, inviteCode: string): Promise<string | null> {
    try {
      return await this.dataSource.transaction(async (tx) => {
        const list = await tx.getRepository(ListEntity).save(tx.getRepository(ListEntity).create({ name, inviteCode }));
        await tx.getRepository(ListMemberEntity).insert({ listId: list.id, userId: ownerId, role: 'owner' });
        return list.id;
      });
    } catch (error) {
      if (isUniqueViolation(error, 'lists_invite_code_key')) return null;
      throw error;
    }
  }

  /** Renames; `stale` when `expectedVersion` no longer matches; null when the list is gone. */
  async rename(listId: string, name: string, actorId: string, expectedVersion?: number): Promise<RenameOutcome> {
    return this.dataSource.transaction(async (tx) => {
      const list = await this.lockList(tx, listId);
      if (!list) return null;
      if (expectedVersion !== undefined && list.version !== expectedVersion) return { kind: 'stale' };
      if (list.name === name) return { kind: 'renamed' };
      await tx.getRepository(ListEntity).update({ id: listId }, { name, version: list.version + 1 });
      await this.events.append(tx, listId, 'list:updated', { id: listId, name, version: list.version + 1 }, actorId);
      return { kind: 'renamed' };
    });
  }

  /** Adds the user as a member of the list with that code (no-op when already one); null when no list has it. */
  async joinByCode(inviteCode: string, userId: string): Promise<string | null> {
    return this.dataSource.transaction(async (tx) => {
      const list = await tx
        .getRepository(ListEntity)
        .findOne({ where: { inviteCode }, lock: { mode: 'pessimistic_write' } });
      if (!list) return null;
      const inserted = await tx
        .createQueryBuilder()
        .insert()
        .into(ListMemberEntity)
        .values({ listId: list.id, userId, role: 'member' })
        .orIgnore()
        .execute();
      if ((inserted.raw as unknown[]).length > 0) await this.membersChanged(tx, list.id, userId);
      return list.id;
    });
  }

  /** Replaces the invite code; false when the new code collided (caller retries). */
  async replaceInviteCode(listId: string, inviteCode: string, actorId: string): Promise<boolean> {
    try {
      await this.dataSource.transaction(async (tx) => {
        await tx.getRepository(ListEntity).update({ id: listId }, { inviteCode });
        await this.events.append(tx, listId, 'list:updated', { id: listId, inviteCode }, actorId);
      });
      return true;
    } catch (error) {
      if (isUniqueViolation(error, 'lists_invite_code_key')) return false;
      throw error;
    }
  }

  /** Deletes the list with its log; open sockets are told through the ephemeral channel. */
  async delete(listId: string): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      await tx.getRepository(ListEntity).delete({ id: listId });
      await this.events.notifyDeleted(tx, listId);
    });
  }

  /**
   * Removes a member. When the owner leaves, the longest-standing member becomes owner;
   * when the last member leaves, the list is deleted.
   */
  async removeMember(listId: string, userId: string, actorId: string): Promise<LeaveOutcome> {
    return this.dataSource.transaction(async (tx) => {
      const list = await this.lockList(tx, listId);
      if (!list) return { kind: 'not-member' };
      const members = tx.getRepository(ListMemberEntity);
      const leaving = await members.findOneBy({ listId, userId });
      if (!leaving) return { kind: 'not-member' };
      await members.delete({ listId, userId });
      const next = await members.findOne({ where: { listId }, order: { joinedAt: 'ASC', userId: 'ASC' } });
      if (!next) {
        await tx.getRepository(ListEntity).delete({ id: listId });
        await this.events.notifyDeleted(tx, listId);
        return { kind: 'deleted' };
      }
      if (leaving.role === 'owner' && next.role !== 'owner') {
        const owners = await members.countBy({ listId, role: 'owner' });
        if (owners === 0) await members.update({ listId, userId: next.userId }, { role: 'owner' });
      }
      await this.membersChanged(tx, listId, actorId);
      return { kind: 'left' };
    });
  }

  private async membersChanged(tx: EntityManager, listId: string, actorId: string): Promise<void> {
    const members = await tx.query<MemberRow[]>(MEMBERS_SQL, [listId]);
    await this.events.append(tx, listId, 'list:updated', { id: listId, members }, actorId);
  }

  private lockList(tx: EntityManager, listId: string): Promise<ListEntity | null> {
    return tx.getRepository(ListEntity).findOne({ where: { id: listId }, lock: { mode: 'pessimistic_write' } });
  }
}

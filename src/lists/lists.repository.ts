import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Injectable } from '@nestjs/common';
import type { ListRole } from '../access/list-role';
import { newInviteCode } from '../common/crypto/secrets';
import { MoreThan } from 'typeorm';
import { ListEntity, ListMemberEntity } from './list.entity';

export interface MemberRow {
  id: string;
  name: string;
  email: string;
  role: ListRole;
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

/** Tries before giving up on a free invite code (a collision is already one in billions). */
const CODE_ATTEMPTS = 5;

/** The one writer of `lists` and `list_members`; every method takes part in the caller's transaction. */
@Injectable()
export class ListsRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  private get lists() {
    return this.txHost.tx.getRepository(ListEntity);
  }

  private get members() {
    return this.txHost.tx.getRepository(ListMemberEntity);
  }

  async listIdsOf(userId: string): Promise<string[]> {
    const rows = await this.members.find({ select: { listId: true }, where: { userId }, order: { joinedAt: 'ASC' } });
    return rows.map((row) => row.listId);
  }

  summariesOf(userId: string): Promise<ListSummaryRow[]> {
    return this.txHost.tx.query(
      `SELECT l.id, l.name, m.role, l.invite_code AS "inviteCode", l.created_at AS "createdAt", l.seq,
              (SELECT count(*)::int FROM list_members x WHERE x.list_id = l.id) AS "memberCount",
              (SELECT count(*)::int FROM items i WHERE i.list_id = l.id) AS "itemCount",
              (SELECT count(*)::int FROM items i WHERE i.list_id = l.id AND NOT i.checked) AS "uncheckedCount"
         FROM list_members m JOIN lists l ON l.id = m.list_id
        WHERE m.user_id = $1
        ORDER BY m.joined_at, l.id`,
      [userId],
    );
  }

  find(listId: string): Promise<ListEntity | null> {
    return this.lists.findOneBy({ id: listId });
  }

  /** The list under a row lock until the transaction ends (membership changes, renames). */
  lock(listId: string): Promise<ListEntity | null> {
    return this.lists.findOne({ where: { id: listId }, lock: { mode: 'pessimistic_write' } });
  }

  /** Members in the order they joined. */
  membersOf(listId: string): Promise<MemberRow[]> {
    return this.txHost.tx.query(
      `SELECT u.id, u.name, u.email, m.role
         FROM list_members m JOIN users u ON u.id = m.user_id
        WHERE m.list_id = $1
        ORDER BY m.joined_at, u.id`,
      [listId],
    );
  }

  /** A new list with a fresh invite code (valid until `codeExpiresAt`), owned by its creator. */
  async createWithOwner(ownerId: string, name: string, codeExpiresAt: Date): Promise<string> {
    const listId = await this.withFreshCode(async (inviteCode) => {
      const inserted = await this.lists
        .createQueryBuilder()
        .insert()
        .values({ name, inviteCode, inviteExpiresAt: codeExpiresAt })
        .orIgnore()
        .returning(['id'])
        .execute();
      return (inserted.raw as { id: string }[])[0]?.id ?? null;
    });
    await this.members.insert({ listId, userId: ownerId, role: 'owner', joinedSeq: '0' });
    return listId;
  }

  async rename(listId: string, name: string, version: number): Promise<void> {
    await this.lists.update({ id: listId }, { name, version });
  }

  /** The list whose code this is and has not expired at `now`, locked; null when none. */
  lockByInviteCode(inviteCode: string, now: Date): Promise<ListEntity | null> {
    return this.lists.findOne({
      where: { inviteCode, inviteExpiresAt: MoreThan(now) },
      lock: { mode: 'pessimistic_write' },
    });
  }

  /** False when the user already was a member. `list` is locked: its seq is the member's join point. */
  async addMember(list: ListEntity, userId: string): Promise<boolean> {
    const inserted = await this.members
      .createQueryBuilder()
      .insert()
      .values({ listId: list.id, userId, role: 'member', joinedSeq: list.seq })
      .orIgnore()
      .execute();
    return (inserted.raw as unknown[]).length > 0;
  }

  /** Gives the list a new invite code, valid until `expiresAt`, and returns it. */
  rotateInviteCode(listId: string, expiresAt: Date): Promise<string> {
    return this.withFreshCode(async (inviteCode) => {
      const [rows]: [unknown[], number] = await this.txHost.tx.query(
        `UPDATE lists SET invite_code = $2, invite_expires_at = $3
          WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM lists WHERE invite_code = $2)
          RETURNING id`,
        [listId, inviteCode, expiresAt],
      );
      return rows.length > 0 ? inviteCode : null;
    });
  }

  async delete(listId: string): Promise<void> {
    await this.lists.delete({ id: listId });
  }

  /** The removed member's role, or null when they were not a member. */
  async removeMember(listId: string, userId: string): Promise<ListRole | null> {
    const [rows]: [{ role: ListRole }[], number] = await this.txHost.tx.query(
      `DELETE FROM list_members WHERE list_id = $1 AND user_id = $2 RETURNING role`,
      [listId, userId],
    );
    return rows[0]?.role ?? null;
  }

  /** When the list has no owner left, its longest-standing member becomes one; false when nobody is left. */
  async ensureOwner(listId: string): Promise<boolean> {
    const next = await this.members.findOne({ where: { listId }, order: { joinedAt: 'ASC', userId: 'ASC' } });
    if (!next) return false;
    if (next.role !== 'owner' && (await this.members.countBy({ listId, role: 'owner' })) === 0) {
      await this.members.update({ listId, userId: next.userId }, { role: 'owner' });
    }
    return true;
  }

  /**
   * Runs `write` with new invite codes until one is free. Writes skip a taken code instead
   * of failing on it, so the caller's transaction stays usable.
   */
  private async withFreshCode<T>(write: (code: string) => Promise<T | null>): Promise<T> {
    for (let attempt = 0; attempt < CODE_ATTEMPTS; attempt++) {
      const done = await write(newInviteCode());
      if (done !== null) return done;
    }
    throw new Error('Could not find a free invite code');
  }
}

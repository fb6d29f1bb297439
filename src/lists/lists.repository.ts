import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { ListRole } from '../access/list-role';
import { newInviteCode } from '../common/crypto/secrets';
import { MoreThan } from 'typeorm';
import { InviteCodes } from './invite-codes';
import { ListEntity, ListMemberEntity } from './list.entity';
import { PreparedStatement } from '../database/prepared-statement';

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

/** A list as `GET /lists/:id` shows it to one user, read in one statement (`ListsRepository.viewFor`). */
export interface ListView {
  list: ListEntity;
  /** The reader's role; null when they are not a member (the list is then all they get: no members, no items). */
  role: ListRole | null;
  /**
   * The members' and items' JSON arrays as PostgreSQL wrote them (in the response's shape and
   * order: members by joining time, items as added), never parsed: `GET /lists/:id` splices
   * them into its body ('[]' for a non-member).
   */
  membersJson: string;
  itemsJson: string;
}

/** A timestamptz as `Date.prototype.toISOString` spells it (UTC, milliseconds truncated as node-postgres does). */
const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * `GET /lists/:id` in one round trip: the caller's membership, the list, its members and its
 * items. Members and items are aggregated to JSON by PostgreSQL, in the response's shape and
 * order (members by joining time, items by creation), only when the caller is a member, and
 * come back as text (json's text form: node-postgres leaves it unparsed).
 */
export const VIEW = PreparedStatement.declare(
  'lists.view',
  `
  WITH membership AS (SELECT role FROM list_members WHERE list_id = $1 AND user_id = $2)
  SELECT l.id, l.name, l.invite_code_sealed AS "inviteCodeSealed", l.invite_expires_at AS "inviteExpiresAt",
         l.version, l.seq, l.created_at AS "createdAt", l.updated_at AS "updatedAt",
         (SELECT role FROM membership) AS role,
         CASE WHEN EXISTS (SELECT 1 FROM membership) THEN
           (SELECT coalesce(json_agg(json_build_object('id', u.id, 'name', u.name, 'email', u.email, 'role', m.role)
                                     ORDER BY m.joined_at, u.id), '[]'::json)
              FROM list_members m JOIN users u ON u.id = m.user_id
             WHERE m.list_id = l.id)::text
         END AS "membersJson",
         CASE WHEN EXISTS (SELECT 1 FROM membership) THEN
           (SELECT coalesce(json_agg(json_build_object(
                     'id', i.id, 'listId', i.list_id, 'name', i.name, 'quantity', i.quantity, 'unit', i.unit,
                     'checked', i.checked, 'checkedBy', i.checked_by, 'checkedAt', ${iso('i.checked_at')},
                     'addedBy', i.added_by, 'createdAt', ${iso('i.created_at')}, 'updatedAt', ${iso('i.updated_at')},
                     'version', i.version, 'note', i.note, 'category', i.category)
                     ORDER BY i.created_at, i.id), '[]'::json)
              FROM items i
             WHERE i.list_id = l.id)::text
         END AS "itemsJson"
    FROM lists l
   WHERE l.id = $1`,
);

/** Tries before giving up on a free invite code (a collision is already one in billions). */
const CODE_ATTEMPTS = 5;

/**
 * The one writer of `lists` and `list_members`; every method takes part in the caller's
 * transaction. Invite codes are never stored in clear (InviteCodes): lists come back with
 * theirs opened.
 */
@Injectable()
export class ListsRepository {
  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly codes: InviteCodes,
  ) {}

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

  async summariesOf(userId: string): Promise<ListSummaryRow[]> {
    const rows: (Omit<ListSummaryRow, 'inviteCode'> & { inviteCodeSealed: Buffer | null })[] =
      await this.txHost.tx.query(
        `SELECT l.id, l.name, m.role, l.invite_code_sealed AS "inviteCodeSealed", l.created_at AS "createdAt", l.seq,
              (SELECT count(*)::int FROM list_members x WHERE x.list_id = l.id) AS "memberCount",
              (SELECT count(*)::int FROM items i WHERE i.list_id = l.id) AS "itemCount",
              (SELECT count(*)::int FROM items i WHERE i.list_id = l.id AND NOT i.checked) AS "uncheckedCount"
         FROM list_members m JOIN lists l ON l.id = m.list_id
        WHERE m.user_id = $1
        ORDER BY m.joined_at, l.id`,
        [userId],
      );
    return rows.map(({ inviteCodeSealed, ...row }) => ({
      ...row,
      inviteCode: this.codes.open(row.id, inviteCodeSealed) ?? '',
    }));
  }

  async find(listId: string): Promise<ListEntity | null> {
    return this.opened(await this.lists.findOneBy({ id: listId }));
  }

  /** The list as `userId` sees it (see VIEW_SQL), in one statement; null when there is no such list. */
  async viewFor(listId: string, userId: string): Promise<ListView | null> {
    const rows: (Omit<ListEntity, 'inviteCode'> & {
      role: ListRole | null;
      membersJson: string | null;
      itemsJson: string | null;
    })[] = await VIEW.run(this.txHost.tx, [listId, userId]);
    const row = rows[0];
    if (!row) return null;
    const { role, membersJson, itemsJson, ...list } = row;
    return {
      list: this.opened(Object.assign(new ListEntity(), list))!,
      role,
      membersJson: membersJson ?? '[]',
      itemsJson: itemsJson ?? '[]',
    };
  }

  /** The list under a row lock until the transaction ends (membership changes, renames). */
  async lock(listId: string): Promise<ListEntity | null> {
    return this.opened(await this.lists.findOne({ where: { id: listId }, lock: { mode: 'pessimistic_write' } }));
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
    const id = randomUUID();
    const listId = await this.withFreshCode(async (inviteCode) => {
      const inserted = await this.lists
        .createQueryBuilder()
        .insert()
        .values({ id, name, ...this.stored(id, inviteCode), inviteExpiresAt: codeExpiresAt })
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
  async lockByInviteCode(inviteCode: string, now: Date): Promise<ListEntity | null> {
    const list = await this.lists.findOne({
      where: { inviteCodeDigest: this.codes.digest(inviteCode), inviteExpiresAt: MoreThan(now) },
      lock: { mode: 'pessimistic_write' },
    });
    return this.opened(list);
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
      const { inviteCodeDigest, inviteCodeSealed } = this.stored(listId, inviteCode);
      const [rows]: [unknown[], number] = await this.txHost.tx.query(
        `UPDATE lists SET invite_code_digest = $2, invite_code_sealed = $3, invite_expires_at = $4
          WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM lists WHERE invite_code_digest = $2)
          RETURNING id`,
        [listId, inviteCodeDigest, inviteCodeSealed, expiresAt],
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
   * Codes of lists from before they were sealed (SealedSecrets1764200000004) still in the
   * plain column: up to `limit` of them get their digest and sealed copy, and leave it. Runs
   * in the caller's transaction; instances booting together share the rows (SKIP LOCKED).
   * Returns how many it took. A plain code that (one in a billion) equals a newer sealed one
   * is dropped and the list's code expired, so the next member's read gives it a fresh one.
   */
  async sealPlainCodes(limit: number, now: Date): Promise<number> {
    const rows: { id: string; code: string }[] = await this.txHost.tx.query(
      `SELECT id, invite_code AS code FROM lists WHERE invite_code IS NOT NULL LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
    );
    for (const { id, code } of rows) {
      const { inviteCodeDigest, inviteCodeSealed } = this.stored(id, code);
      await this.txHost.tx.query(
        `UPDATE lists
            SET invite_code = NULL,
                invite_code_digest = CASE WHEN taken THEN NULL ELSE $2 END,
                invite_code_sealed = CASE WHEN taken THEN NULL ELSE $3::bytea END,
                invite_expires_at = CASE WHEN taken THEN LEAST(invite_expires_at, $4) ELSE invite_expires_at END
           FROM (SELECT EXISTS (SELECT 1 FROM lists WHERE invite_code_digest = $2) AS taken) AS t
          WHERE id = $1`,
        [id, inviteCodeDigest, inviteCodeSealed, now],
      );
    }
    return rows.length;
  }

  /** What `lists` keeps of a list's code. */
  private stored(listId: string, code: string): Pick<ListEntity, 'inviteCodeDigest' | 'inviteCodeSealed'> {
    return { inviteCodeDigest: this.codes.digest(code), inviteCodeSealed: this.codes.seal(listId, code) };
  }

  /**
   * The list with its code opened. One that cannot be opened (sealed under another
   * JWT_SECRET, or dropped) counts as expired: the next member's read of the list replaces it.
   */
  private opened(list: ListEntity | null): ListEntity | null {
    if (!list) return null;
    const code = this.codes.open(list.id, list.inviteCodeSealed);
    list.inviteCode = code ?? '';
    if (code === null) list.inviteExpiresAt = new Date(0);
    return list;
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

import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Injectable } from '@nestjs/common';
import { ListRole } from './list-role';
import { PreparedStatement } from '../database/prepared-statement';

/** A member's role and the list's seq when they joined (their socket never replays what came before). */
export interface Membership {
  role: ListRole;
  joinedSeq: number;
}

export const FIND = PreparedStatement.declare(
  'memberships.find',
  `SELECT role, joined_seq AS "joinedSeq" FROM list_members WHERE list_id = $1 AND user_id = $2`,
);

/** Reads who belongs to which list; `ListsRepository` is the one writer of memberships. */
@Injectable()
export class MembershipsRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  async find(listId: string, userId: string): Promise<Membership | null> {
    const rows: { role: ListRole; joinedSeq: string }[] = await FIND.run(this.txHost.tx, [listId, userId]);
    return rows[0] ? { role: rows[0].role, joinedSeq: Number(rows[0].joinedSeq) } : null;
  }

  /** The members of each of these lists now (a list that is gone has no entry). */
  async membersOf(listIds: string[]): Promise<Map<string, Set<string>>> {
    const members = new Map<string, Set<string>>();
    if (listIds.length === 0) return members;
    const rows: { listId: string; userId: string }[] = await this.txHost.tx.query(
      `SELECT list_id AS "listId", user_id AS "userId" FROM list_members WHERE list_id = ANY($1::uuid[])`,
      [listIds],
    );
    for (const row of rows) members.set(row.listId, (members.get(row.listId) ?? new Set()).add(row.userId));
    return members;
  }
}

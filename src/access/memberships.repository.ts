import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Injectable } from '@nestjs/common';
import { ListRole } from './list-role';

/** Reads who belongs to which list; `ListsRepository` is the one writer of memberships. */
@Injectable()
export class MembershipsRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  async roleOf(listId: string, userId: string): Promise<ListRole | null> {
    const rows: { role: ListRole }[] = await this.txHost.tx.query(
      `SELECT role FROM list_members WHERE list_id = $1 AND user_id = $2`,
      [listId, userId],
    );
    return rows[0]?.role ?? null;
  }
}

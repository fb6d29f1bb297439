import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Injectable } from '@nestjs/common';
import { UserEntity } from './user.entity';

export interface NewUser {
  email: string;
  name: string;
  passwordHash: string;
}

/** The one writer of `users`; every method takes part in the caller's transaction. */
@Injectable()
export class UsersRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  private get users() {
    return this.txHost.tx.getRepository(UserEntity);
  }

  findByEmail(email: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ email });
  }

  findById(id: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ id });
  }

  /** The new user; null when the email is taken (the insert skips it, so the transaction stays usable). */
  async create(user: NewUser): Promise<UserEntity | null> {
    const inserted = await this.users.createQueryBuilder().insert().values(user).orIgnore().returning(['id']).execute();
    const id = (inserted.raw as { id: string }[])[0]?.id;
    return id ? this.users.findOneBy({ id }) : null;
  }

  async setPasswordHash(userId: string, passwordHash: string): Promise<void> {
    await this.users.update({ id: userId }, { passwordHash });
  }

  /**
   * Replaces `expected` by `next` only if the stored hash is still `expected`: two sign-ins
   * rehashing at once both succeed, the first one's hash stays (both verify the same password).
   */
  async replacePasswordHash(userId: string, expected: string, next: string): Promise<boolean> {
    const result = await this.users.update({ id: userId, passwordHash: expected }, { passwordHash: next });
    return (result.affected ?? 0) > 0;
  }

  /** Old-server tokens of this user stop binding to sessions (sign out everywhere, password reset). */
  async endLegacyTokens(userId: string): Promise<void> {
    await this.users.update({ id: userId }, { legacyTokensBefore: null });
  }

  /**
   * The user's row under a lock until the transaction ends (account deletion): a membership or
   * session written meanwhile for them waits for the deletion, then finds no user. False when
   * the account is already gone.
   */
  async lockForDeletion(userId: string): Promise<boolean> {
    const rows: unknown[] = await this.txHost.tx.query(`SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, [userId]);
    return rows.length > 0;
  }

  /**
   * Removes the account. What still names it follows the foreign keys: its sessions (and their
   * refresh tokens, socket tickets, connections, receipts of delivery), password reset codes
   * and memberships go; the items, stores, trips and bought items of lists that stay keep no
   * trace of who added, checked, posted or completed them (SET NULL).
   */
  async delete(userId: string): Promise<void> {
    await this.users.delete({ id: userId });
  }
}

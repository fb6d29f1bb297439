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
}

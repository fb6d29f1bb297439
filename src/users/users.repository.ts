import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { isUniqueViolation } from '../common/database/unique-violation';
import { ListEntity, ListMemberEntity } from '../lists/list.entity';
import { UserEntity } from './user.entity';

export interface NewUser {
  email: string;
  name: string;
  passwordHash: string;
}

export interface FirstList {
  name: string;
  inviteCode: string;
}

@Injectable()
export class UsersRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  findByEmail(email: string): Promise<UserEntity | null> {
    return this.dataSource.getRepository(UserEntity).findOneBy({ email });
  }

  findById(id: string): Promise<UserEntity | null> {
    return this.dataSource.getRepository(UserEntity).findOneBy({ id });
  }

  /**
   * The user, their first list and their ownership of it, in one transaction.
   * `email-taken` on a duplicate email; null when the invite code collided (caller retries).
   */
  async registerWithFirstList(
    user: NewUser,
    list: FirstList,
  ): Promise<{ user: UserEntity; listId: string } | 'email-taken' | null> {
    try {
      return await this.dataSource.transaction(async (tx) => {
        const saved = await tx.getRepository(UserEntity).save(tx.getRepository(UserEntity).create(user));
        const created = await tx
          .getRepository(ListEntity)
          .save(tx.getRepository(ListEntity).create({ name: list.name, inviteCode: list.inviteCode }));
        await tx.getRepository(ListMemberEntity).insert({ listId: created.id, userId: saved.id, role: 'owner' });
        return { user: saved, listId: created.id };
      });
    } catch (error) {
      if (isUniqueViolation(error, 'users_email_key')) return 'email-taken';
      if (isUniqueViolation(error, 'lists_invite_code_key')) return null;
      throw error;
    }
  }
}

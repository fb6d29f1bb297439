import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Injectable } from '@nestjs/common';
import { PasswordResetCodeEntity } from './password-reset-code.entity';

/** The one writer of `password_reset_codes`; every method takes part in the caller's transaction. */
@Injectable()
export class PasswordResetsRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  private get codes() {
    return this.txHost.tx.getRepository(PasswordResetCodeEntity);
  }

  /** One live code per email: a new request replaces the previous code. */
  async replaceCode(email: string, userId: string, codeHash: string, expiresAt: Date, now: Date): Promise<void> {
    await this.txHost.tx.query(
      `INSERT INTO password_reset_codes (email, user_id, code_hash, attempts, expires_at, created_at)
       VALUES ($1, $2, $3, 0, $4, $5)
       ON CONFLICT (email) DO UPDATE SET user_id = $2, code_hash = $3, attempts = 0, expires_at = $4, created_at = $5`,
      [email, userId, codeHash, expiresAt, now],
    );
  }

  /** The email's code under a row lock until the transaction ends. */
  lock(email: string): Promise<PasswordResetCodeEntity | null> {
    return this.codes.findOne({ where: { email }, lock: { mode: 'pessimistic_write' } });
  }

  async countAttempt(email: string, attempts: number): Promise<void> {
    await this.codes.update({ email }, { attempts });
  }

  async delete(email: string): Promise<void> {
    await this.codes.delete({ email });
  }
}

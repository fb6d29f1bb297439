import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PasswordResetCodeEntity } from './session.entity';
import { UserEntity } from '../users/user.entity';

export type ConsumeOutcome =
  { kind: 'reset'; userId: string; revokedSessionIds: string[] } | { kind: 'wrong' } | { kind: 'none' };

@Injectable()
export class PasswordResetsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** One live code per email: a new request replaces the previous code. */
  async replaceCode(email: string, userId: string, codeHash: string, expiresAt: Date): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO password_reset_codes (email, user_id, code_hash, attempts, expires_at, created_at)
       VALUES ($1, $2, $3, 0, $4, now())
       ON CONFLICT (email) DO UPDATE SET user_id = $2, code_hash = $3, attempts = 0, expires_at = $4, created_at = now()`,
      [email, userId, codeHash, expiresAt],
    );
  }

  /**
   * In one transaction: check the code; a wrong one counts an attempt and burns the code at
   * `maxAttempts`; the right one is deleted (single use), the password replaced and every
   * session of the user revoked.
   */
  async consume(
    email: string,
    matches: (codeHash: string) => boolean,
    newPasswordHash: string,
    maxAttempts: number,
  ): Promise<ConsumeOutcome> {
    return this.dataSource.transaction(async (tx) => {
      const codes = tx.getRepository(PasswordResetCodeEntity);
      const code = await codes.findOne({ where: { email }, lock: { mode: 'pessimistic_write' } });
      if (!code) return { kind: 'none' };
      if (code.expiresAt <= new Date()) {
        await codes.delete({ email });
        return { kind: 'none' };
      }
      if (!matches(code.codeHash)) {
        if (code.attempts + 1 >= maxAttempts) await codes.delete({ email });
        else await codes.update({ email }, { attempts: code.attempts + 1 });
        return { kind: 'wrong' };
      }
      await codes.delete({ email });
      await tx.getRepository(UserEntity).update({ id: code.userId }, { passwordHash: newPasswordHash });
      const revoked: [{ id: string }[], number] = await tx.query(
        `UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL RETURNING id`,
        [code.userId],
      );
      return { kind: 'reset', userId: code.userId, revokedSessionIds: revoked[0].map((row) => row.id) };
    });
  }
}

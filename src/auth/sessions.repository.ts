import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull } from 'typeorm';
import { RefreshTokenEntity, SessionEntity } from './session.entity';

export interface NewSession {
  userId: string;
  userAgent: string | null;
  ip: string | null;
  expiresAt: Date;
  refreshTokenHash: string;
}

export type RefreshOutcome =
  { kind: 'rotated'; session: SessionEntity } | { kind: 'reused'; sessionId: string } | { kind: 'invalid' };

@Injectable()
export class SessionsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async create(session: NewSession): Promise<SessionEntity> {
    return this.dataSource.transaction(async (tx) => {
      const saved = await tx.getRepository(SessionEntity).save(
        tx.getRepository(SessionEntity).create({
          userId: session.userId,
          userAgent: session.userAgent,
          ip: session.ip,
          expiresAt: session.expiresAt,
          lastUsedAt: new Date(),
        }),
      );
      await tx.getRepository(RefreshTokenEntity).insert({ tokenHash: session.refreshTokenHash, sessionId: saved.id });
      return saved;
    });
  }

  /** Whether the session exists for that user, is not revoked and has not expired. */
  async isLive(sessionId: string, userId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM sessions WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > now()`,
      [sessionId, userId],
    );
    return rows.length > 0;
  }

  /**
   * Single-use refresh tokens: a live, unused token is marked used and replaced by `nextHash`;
   * presenting an already-used one means it was stolen or replayed, and ends the session.
   */
  async rotateRefreshToken(tokenHash: string, nextHash: string, expiresAt: Date): Promise<RefreshOutcome> {
    return this.dataSource.transaction(async (tx) => {
      const tokens = tx.getRepository(RefreshTokenEntity);
      const token = await tokens.findOne({ where: { tokenHash }, lock: { mode: 'pessimistic_write' } });
      if (!token) return { kind: 'invalid' };
      const sessions = tx.getRepository(SessionEntity);
      const session = await sessions.findOne({ where: { id: token.sessionId }, lock: { mode: 'pessimistic_write' } });
      if (!session || session.revokedAt || session.expiresAt <= new Date()) return { kind: 'invalid' };
      if (token.usedAt) {
        await sessions.update({ id: session.id }, { revokedAt: new Date() });
        return { kind: 'reused', sessionId: session.id };
      }
      await tokens.update({ tokenHash }, { usedAt: new Date() });
      await tokens.insert({ tokenHash: nextHash, sessionId: session.id });
      session.lastUsedAt = new Date();
      session.expiresAt = expiresAt;
      return { kind: 'rotated', session: await sessions.save(session) };
    });
  }

  listLive(userId: string): Promise<SessionEntity[]> {
    return this.dataSource
      .getRepository(SessionEntity)
      .createQueryBuilder('s')
      .where('s.user_id = :userId AND s.revoked_at IS NULL AND s.expires_at > now()', { userId })
      .orderBy('s.created_at', 'DESC')
      .getMany();
  }

  /** False when the user has no such live session. */
  async revoke(sessionId: string, userId: string): Promise<boolean> {
    const result = await this.dataSource
      .getRepository(SessionEntity)
      .update({ id: sessionId, userId, revokedAt: IsNull() }, { revokedAt: new Date() });
    return (result.affected ?? 0) > 0;
  }

  /** Revokes every live session of the user (optionally all but one); returns the revoked ids. */
  async revokeAll(userId: string, exceptSessionId?: string): Promise<string[]> {
    const rows: [{ id: string }[], number] = await this.dataSource.query(
      `UPDATE sessions SET revoked_at = now()
        WHERE user_id = $1 AND revoked_at IS NULL AND ($2::uuid IS NULL OR id <> $2::uuid)
        RETURNING id`,
      [userId, exceptSessionId ?? null],
    );
    return rows[0].map((row) => row.id);
  }
}

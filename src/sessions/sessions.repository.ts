import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Injectable } from '@nestjs/common';
import { IsNull } from 'typeorm';
import { RefreshTokenEntity, SessionEntity } from './session.entity';
import { PreparedStatement } from '../database/prepared-statement';

export interface NewSession {
  userId: string;
  userAgent: string | null;
  ip: string | null;
  expiresAt: Date;
  refreshTokenHash: string;
}

export type RefreshOutcome =
  { kind: 'rotated'; session: SessionEntity } | { kind: 'reused'; sessionId: string } | { kind: 'invalid' };

const IS_LIVE = PreparedStatement.declare(
  'sessions.is-live',
  `SELECT 1 FROM sessions WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > $3`,
);

/** The one writer of `sessions` and `refresh_tokens`; every method takes part in the caller's transaction. */
@Injectable()
export class SessionsRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  async create(session: NewSession, now: Date): Promise<SessionEntity> {
    return this.txHost.withTransaction(async () => {
      const sessions = this.txHost.tx.getRepository(SessionEntity);
      const saved = await sessions.save(
        sessions.create({
          userId: session.userId,
          userAgent: session.userAgent,
          ip: session.ip,
          expiresAt: session.expiresAt,
          lastUsedAt: now,
        }),
      );
      await this.txHost.tx
        .getRepository(RefreshTokenEntity)
        .insert({ tokenHash: session.refreshTokenHash, sessionId: saved.id });
      return saved;
    });
  }

  /** The session an old-server token was bound to (revoked or not: a revoked one keeps the token dead). */
  async findByLegacyDigest(digest: string): Promise<{ id: string; userId: string } | null> {
    const rows: { id: string; user_id: string }[] = await this.txHost.tx.query(
      `SELECT id, user_id FROM sessions WHERE legacy_token_digest = $1`,
      [digest],
    );
    return rows[0] ? { id: rows[0].id, userId: rows[0].user_id } : null;
  }

  /**
   * Binds an old-server token to a new session, if its user (by the old id: kept, or mapped in
   * `legacy_ids`) still accepts old tokens issued at `issuedAt`. The user row is read FOR SHARE,
   * so a concurrent sign out everywhere either sees this session (and revokes it) or has
   * already cleared `legacy_tokens_before` (and nothing binds). Two first uses at once: the
   * unique digest lets one insert, the other gets the same row. Null when nothing may bind.
   */
  async bindLegacyToken(
    digest: string,
    legacyUserId: string,
    issuedAt: Date,
    expiresAt: Date,
    now: Date,
  ): Promise<{ id: string; userId: string } | null> {
    return this.txHost.withTransaction(async () => {
      const inserted: { id: string; user_id: string }[] = await this.txHost.tx.query(
        `INSERT INTO sessions (user_id, user_agent, ip, expires_at, last_used_at, legacy_token_digest)
         SELECT u.id, NULL, NULL, $3::timestamptz, $4::timestamptz, $1::text
           FROM users u
          WHERE u.id = COALESCE(
                  (SELECT l.id FROM legacy_ids l WHERE l.kind = 'user' AND l.legacy_id = $2::text),
                  CASE WHEN $2::text ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN $2::text::uuid END)
            AND u.legacy_tokens_before IS NOT NULL
            AND u.legacy_tokens_before > $5::timestamptz
            AND $3::timestamptz > $4::timestamptz
            FOR SHARE OF u
         ON CONFLICT (legacy_token_digest) WHERE legacy_token_digest IS NOT NULL DO NOTHING
         RETURNING id, user_id`,
        [digest, legacyUserId, expiresAt, now, issuedAt],
      );
      if (inserted[0]) return { id: inserted[0].id, userId: inserted[0].user_id };
      return this.findByLegacyDigest(digest);
    });
  }

  /** Whether the session exists for that user, is not revoked and has not expired. */
  async isLive(sessionId: string, userId: string, now: Date): Promise<boolean> {
    const rows: unknown[] = await IS_LIVE.run(this.txHost.tx, [sessionId, userId, now]);
    return rows.length > 0;
  }

  /**
   * Single-use refresh tokens: a live, unused token is marked used and replaced by `nextHash`;
   * presenting an already-used one means it was stolen or replayed, and ends the session.
   */
  async rotateRefreshToken(tokenHash: string, nextHash: string, expiresAt: Date, now: Date): Promise<RefreshOutcome> {
    return this.txHost.withTransaction(async () => {
      const tokens = this.txHost.tx.getRepository(RefreshTokenEntity);
      const token = await tokens.findOne({ where: { tokenHash }, lock: { mode: 'pessimistic_write' } });
      if (!token) return { kind: 'invalid' };
      const sessions = this.txHost.tx.getRepository(SessionEntity);
      const session = await sessions.findOne({ where: { id: token.sessionId }, lock: { mode: 'pessimistic_write' } });
      if (!session || session.revokedAt || session.expiresAt <= now) return { kind: 'invalid' };
      if (token.usedAt) {
        await sessions.update({ id: session.id }, { revokedAt: now });
        return { kind: 'reused', sessionId: session.id };
      }
      await tokens.update({ tokenHash }, { usedAt: now });
      await tokens.insert({ tokenHash: nextHash, sessionId: session.id });
      session.lastUsedAt = now;
      session.expiresAt = expiresAt;
      return { kind: 'rotated', session: await sessions.save(session) };
    });
  }

  listLive(userId: string, now: Date): Promise<SessionEntity[]> {
    return this.txHost.tx
      .getRepository(SessionEntity)
      .createQueryBuilder('s')
      .where('s.user_id = :userId AND s.revoked_at IS NULL AND s.expires_at > :now', { userId, now })
      .orderBy('s.created_at', 'DESC')
      .getMany();
  }

  /** False when the user has no such live session. */
  async revoke(sessionId: string, userId: string, now: Date): Promise<boolean> {
    const result = await this.txHost.tx
      .getRepository(SessionEntity)
      .update({ id: sessionId, userId, revokedAt: IsNull() }, { revokedAt: now });
    return (result.affected ?? 0) > 0;
  }

  /** Revokes every live session of the user; returns the revoked ids. */
  async revokeAll(userId: string, now: Date): Promise<string[]> {
    const [rows]: [{ id: string }[], number] = await this.txHost.tx.query(
      `UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL RETURNING id`,
      [userId, now],
    );
    return rows.map((row) => row.id);
  }

  /** Every session of the user, live or not (account deletion); returns their ids. */
  async deleteAll(userId: string): Promise<string[]> {
    const [rows]: [{ id: string }[], number] = await this.txHost.tx.query(
      `DELETE FROM sessions WHERE user_id = $1 RETURNING id`,
      [userId],
    );
    return rows.map((row) => row.id);
  }
}

import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('sessions')
export class SessionEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid', { name: 'user_id' }) userId!: string;
  @Column('text', { name: 'user_agent', nullable: true }) userAgent!: string | null;
  @Column('text', { nullable: true }) ip!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column('timestamptz', { name: 'last_used_at' }) lastUsedAt!: Date;
  @Column('timestamptz', { name: 'expires_at' }) expiresAt!: Date;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt!: Date | null;
  /** Keyed digest of the old server's token this session was bound to on first use (never the token). */
  @Column('text', { name: 'legacy_token_digest', nullable: true }) legacyTokenDigest!: string | null;
}

@Entity('refresh_tokens')
export class RefreshTokenEntity {
  /** SHA-256 of the token: the token itself is 256 random bits and never stored. */
  @Column('text', { name: 'token_hash', primary: true }) tokenHash!: string;
  @Column('uuid', { name: 'session_id' }) sessionId!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column('timestamptz', { name: 'used_at', nullable: true }) usedAt!: Date | null;
}

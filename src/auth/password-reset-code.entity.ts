import { Column, CreateDateColumn, Entity } from 'typeorm';

@Entity('password_reset_codes')
export class PasswordResetCodeEntity {
  @Column('text', { primary: true }) email!: string;
  @Column('uuid', { name: 'user_id' }) userId!: string;
  /** HMAC of email and code under a server key. */
  @Column('text', { name: 'code_hash' }) codeHash!: string;
  @Column('int') attempts!: number;
  @Column('timestamptz', { name: 'expires_at' }) expiresAt!: Date;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

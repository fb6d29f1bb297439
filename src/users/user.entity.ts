import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

@Entity('users')
export class UserEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  /** Trimmed and lower-cased; unique. */
  @Column('text') email!: string;
  @Column('text') name!: string;
  @Column('text', { name: 'password_hash' }) passwordHash!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
  /** When `npm run import:legacy` brought the account over from the old server (null: created here). */
  @Column('timestamptz', { name: 'legacy_imported_at', nullable: true }) legacyImportedAt!: Date | null;
  /** The old server's tokens issued before this are accepted (null: none); see LEGACY_JWT_SECRET. */
  @Column('timestamptz', { name: 'legacy_tokens_before', nullable: true }) legacyTokensBefore!: Date | null;
}

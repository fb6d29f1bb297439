import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { ListRole } from '../access/list-role';

@Entity('lists')
export class ListEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('text') name!: string;
  /** Keyed digest of the invite code: how a typed code is looked up (InviteCodes). */
  @Column('text', { name: 'invite_code_digest', nullable: true }) inviteCodeDigest!: string | null;
  /** The invite code, sealed (InviteCodes). */
  @Column('bytea', { name: 'invite_code_sealed', nullable: true }) inviteCodeSealed!: Buffer | null;
  @Column('timestamptz', { name: 'invite_expires_at' }) inviteExpiresAt!: Date;
  /** Not a column: the invite code, opened by ListsRepository. */
  inviteCode!: string;
  @Column('int') version!: number;
  /** Per-list event counter (realtime log); bigint arrives as a string. */
  @Column('bigint') seq!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

@Entity('list_members')
export class ListMemberEntity {
  @PrimaryColumn('uuid', { name: 'list_id' }) listId!: string;
  @PrimaryColumn('uuid', { name: 'user_id' }) userId!: string;
  @Column('text') role!: ListRole;
  /** The list's seq when they joined: their socket never replays what came before. */
  @Column('bigint', { name: 'joined_seq' }) joinedSeq!: string;
  @CreateDateColumn({ name: 'joined_at', type: 'timestamptz' }) joinedAt!: Date;
}

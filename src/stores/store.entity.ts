import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

@Entity('stores')
export class StoreEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid', { name: 'list_id' }) listId!: string;
  @Column('text') name!: string;
  /** productKey(name): store names are unique per list, case-insensitively. */
  @Column('text', { name: 'name_key' }) nameKey!: string;
  @Column('int', { name: 'trip_count' }) tripCount!: number;
  /** The order the app last posted (product keys), used once by the next trip on this store. */
  @Column('jsonb', { name: 'posted_order', nullable: true }) postedOrder!: string[] | null;
  @Column('uuid', { name: 'posted_by', nullable: true }) postedBy!: string | null;
  @Column('timestamptz', { name: 'posted_at', nullable: true }) postedAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

@Entity('trips')
export class TripEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid', { name: 'list_id' }) listId!: string;
  @Column('uuid', { name: 'store_id', nullable: true }) storeId!: string | null;
  @Column('text', { name: 'store_name', nullable: true }) storeName!: string | null;
  @Column('uuid', { name: 'completed_by', nullable: true }) completedBy!: string | null;
  /** When the trip was completed: the phone's `completedAt` (part B) when it sent one, else the server's time. */
  @Column('timestamptz', { name: 'completed_at' }) completedAt!: Date;
  /** When the server received the completion. */
  @Column('timestamptz', { name: 'received_at', default: () => 'now()' }) receivedAt!: Date;
  @Column('int', { name: 'item_count' }) itemCount!: number;
  /** Storage key of the receipt (server-generated), and its type as decided from its bytes. */
  @Column('text', { name: 'receipt_key', nullable: true }) receiptKey!: string | null;
  @Column('text', { name: 'receipt_type', nullable: true }) receiptType!: string | null;
}

/** A snapshot of one checked item, taken when the trip was completed. */
@Entity('trip_items')
export class TripItemEntity {
  @PrimaryColumn('uuid', { name: 'trip_id' }) tripId!: string;
  @PrimaryColumn('uuid', { name: 'item_id' }) itemId!: string;
  @Column('text', { name: 'product_key' }) productKey!: string;
  @Column('text') name!: string;
  @Column('double precision') quantity!: number;
  @Column('text') unit!: string;
  @Column('text', { nullable: true }) category!: string | null;
  @Column('uuid', { name: 'checked_by', nullable: true }) checkedBy!: string | null;
  @Column('timestamptz', { name: 'checked_at', nullable: true }) checkedAt!: Date | null;
  @Column('timestamptz', { name: 'checked_received_at', nullable: true }) checkedReceivedAt!: Date | null;
}

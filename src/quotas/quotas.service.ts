import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { quotaConfig } from '../config/quota.config';
import { byteSize, QuotaExceeded } from './quota-exceeded';
import { QuotasRepository } from './quotas.repository';

/**
 * The quotas of lists and users (docs/SECURITY.md). Each check runs inside the write's unit
 * of work, after the write, counting under the lock that serialises such writes: racing
 * writes cannot overshoot, and a write past the limit throws {@link QuotaExceeded}, which
 * rolls it back whole (no row, no event). Checking after the write keeps the no-ops free:
 * a retried add of an item the list already has, or joining a list twice, adds nothing and
 * is never refused.
 */
@Injectable()
export class Quotas {
  constructor(
    private readonly counts: QuotasRepository,
    @Inject(quotaConfig.KEY) private readonly limits: ConfigType<typeof quotaConfig>,
  ) {}

  /**
   * How many items a list may hold. The add counts them itself, under the list's row lock in the
   * same statement as the insert (`ItemsRepository.add`), and refuses with
   * {@link itemsPerListExceeded}.
   */
  get itemsPerList(): number {
    return this.limits.itemsPerList;
  }

  itemsPerListExceeded(): QuotaExceeded {
    const limit = this.limits.itemsPerList;
    return new QuotaExceeded('itemsPerList', limit, `This list already has ${limit} items, the most a list can hold.`);
  }

  /** After a store was added to the list. */
  async storeAdded(listId: string): Promise<void> {
    const limit = this.limits.storesPerList;
    if ((await this.counts.storesOf(listId)) > limit) {
      throw new QuotaExceeded(
        'storesPerList',
        limit,
        `This list already has ${limit} stores, the most a list can hold.`,
      );
    }
  }

  /** After a user joined the list: the list's member quota, then the joiner's own list quota. */
  async memberAdded(listId: string, userId: string): Promise<void> {
    const limit = this.limits.membersPerList;
    if ((await this.counts.membersOf(listId)) > limit) {
      throw new QuotaExceeded(
        'membersPerList',
        limit,
        `This list already has ${limit} members, the most a list can have.`,
      );
    }
    await this.listAdded(userId);
  }

  /** After the user became a member of one more list (created or joined). */
  async listAdded(userId: string): Promise<void> {
    const limit = this.limits.listsPerUser;
    if ((await this.counts.listsOf(userId)) > limit) {
      throw new QuotaExceeded(
        'listsPerUser',
        limit,
        `You already belong to ${limit} lists, the most one account can have.`,
      );
    }
  }

  /**
   * Before a receipt of `bytes` is stored for the trip (replacing the trip's current one, which
   * stops counting). Takes the list's lock first: the order trip completion takes the list and
   * then old trips in when it trims the history.
   */
  async roomForReceipt(listId: string, tripId: string, bytes: number): Promise<void> {
    const limit = this.limits.receiptBytesPerList;
    if ((await this.counts.receiptBytesOf(listId, tripId)) + bytes > limit) {
      throw new QuotaExceeded(
        'receiptBytesPerList',
        limit,
        `This receipt would take this list's receipts past ${byteSize(limit)}, the most a list can keep.`,
      );
    }
  }
}

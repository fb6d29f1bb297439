import { Transactional } from '@nestjs-cls/transactional';
import {
  BadRequestException,
  ForbiddenException,
  Inject,
  Injectable,
  NotFoundException,
  OnModuleInit,
  UnprocessableEntityException,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { ListAccess } from '../access/list-access.service';
import { Clock } from '../common/clock/clock';
import { AuthUser } from '../common/decorators/current-user.decorator';
import { productKey } from '../common/product-key';
import { acceptClientTime } from '../common/http/client-time';
import { clientTimeConfig } from '../config/client-time.config';
import { quotaConfig } from '../config/quota.config';
import type { StoredEvent } from '../events/stored-event';
import { ItemsRepository } from '../items/items.repository';
import { Quotas } from '../quotas/quotas.service';
import { RealtimeGateway } from '../realtime/realtime.gateway';
import { StoresService } from '../stores/stores.service';
import { CompleteTripDto, TripHistoryQuery } from './dto/trip.dto';
import { toTripResponse, TripResponse } from './dto/trip.response';
import { ReceiptProcessor } from './receipt-processor';
import { NewReceiptFile, ReceiptFile, ReceiptStorage } from './receipt-storage';
import { ReceiptUrls } from './receipt-urls';
import { TripEntity, TripItemEntity } from './trip.entity';
import { TripsRepository } from './trips.repository';

const DEFAULT_PAGE = 50;

export interface TripPage {
  trips: TripResponse[];
  /** Cursor for the next page, or null on the last one. */
  nextBefore: string | null;
}

@Injectable()
export class TripsService implements OnModuleInit {
  constructor(
    private readonly trips: TripsRepository,
    private readonly items: ItemsRepository,
    private readonly stores: StoresService,
    private readonly access: ListAccess,
    private readonly gateway: RealtimeGateway,
    private readonly processor: ReceiptProcessor,
    private readonly storage: ReceiptStorage,
    private readonly urls: ReceiptUrls,
    private readonly quotas: Quotas,
    private readonly clock: Clock,
    @Inject(quotaConfig.KEY) private readonly limits: ConfigType<typeof quotaConfig>,
    @Inject(clientTimeConfig.KEY) private readonly clientTime: ConfigType<typeof clientTimeConfig>,
  ) {}

  /** Trip frames carry the trip's current receipt, signed as they are sent (the log keeps no link). */
  onModuleInit(): void {
    this.gateway.renderWith(['trip:completed', 'trip:updated'], (events) => this.withReceiptLinks(events));
  }

  /**
   * One unit of work: lock the checked items, snapshot them into the trip, remove exactly
   * those (unchecked items stay), learn the store's walking order from this trip and count
   * it (`store:updated`), then `trip:completed`. Nothing checked → 422. History is kept within
   * TRIPS_KEPT_PER_LIST and TRIP_ITEMS_KEPT_PER_LIST: the oldest trips beyond go (never this one).
   */
  @Transactional()
  async complete(user: AuthUser, listId: string, dto: CompleteTripDto): Promise<TripResponse> {
    await this.access.requireMember(user.id, listId);
    const now = this.clock.now();
    // Bad input is refused before any rule about the list's state.
    const completedAt = dto.completedAt
      ? acceptClientTime('completedAt', dto.completedAt, now, this.clientTime.maxAgeDays)
      : now;
    const store = dto.storeId ? await this.stores.lockForTrip(listId, dto.storeId.toLowerCase()) : null;
    if (dto.storeId && !store) throw new NotFoundException('Store not found.');
    const checked = await this.items.lockChecked(listId);
    if (checked.length === 0) {
      throw new UnprocessableEntityException('Check off what you bought before completing the trip.');
    }
    const { trip, items } = await this.trips.create(
      {
        listId,
        storeId: store?.id ?? null,
        storeName: store?.name ?? null,
        completedBy: user.id,
        completedAt,
        receivedAt: now,
        itemCount: checked.length,
      },
      checked.map((item) => ({
        itemId: item.id,
        productKey: productKey(item.name),
        name: item.name,
        quantity: item.quantity,
        unit: item.unit,
        category: item.category,
        checkedBy: item.checkedBy,
        checkedAt: item.checkedAt,
        checkedReceivedAt: item.checkedReceivedAt,
      })),
    );
    const removedItemIds = checked.map((item) => item.id);
    await this.items.removeMany(listId, removedItemIds);
    if (store) await this.stores.learnTrip(user, store, checked, now);
    await this.gateway.emit(listId, 'trip:completed', { ...toTripResponse(trip, null, items), removedItemIds }, user);
    // After the event: its append holds the list's lock, so this sees every trip committed before.
    const { tripsKeptPerList, tripItemsKeptPerList } = this.limits;
    await this.trips.trimHistory(listId, trip.id, tripsKeptPerList, tripItemsKeptPerList);
    return { ...this.respond(trip, items), removedItemIds };
  }

  async history(user: AuthUser, listId: string, query: TripHistoryQuery): Promise<TripPage> {
    await this.access.requireMember(user.id, listId);
    const limit = query.limit ?? DEFAULT_PAGE;
    const trips = await this.trips.history(listId, limit, query.before);
    if (!trips) throw new BadRequestException('before is not a trip of this list.');
    return {
      trips: trips.map((trip) => this.respond(trip)),
      nextBefore: trips.length === limit ? trips[limit - 1].id : null,
    };
  }

  async detail(user: AuthUser, listId: string, tripId: string): Promise<TripResponse> {
    await this.access.requireMember(user.id, listId);
    const found = await this.trips.detail(listId, tripId);
    if (!found) throw new NotFoundException('Trip not found.');
    return this.respond(found.trip, found.items);
  }

  /**
   * A page of the list's history as a JSON array of `TripResponse`s, each with its bought items
   * and its signed receipt link, written by PostgreSQL but for the link (the account export reads
   * a list's whole history this way, a page at a time); `last` is the cursor of the next page,
   * null after the last one. `before` as in `history`, a trip of a previous page.
   */
  async historyPageJson(
    user: AuthUser,
    listId: string,
    limit: number,
    before?: string,
  ): Promise<{ json: string; last: string | null }> {
    await this.access.requireMember(user.id, listId);
    const rows = await this.trips.historyJson(listId, limit, before);
    const trips = rows.map(
      (row) =>
        `${row.head.slice(0, -1)},"receiptUrl":${JSON.stringify(this.sign(row.receiptKey))},"items":${row.items}}`,
    );
    return { json: `[${trips.join(',')}]`, last: rows.length === limit ? rows[limit - 1].id : null };
  }

  /**
   * Stores the receipt under a server-generated name after deciding its type from its bytes
   * and re-encoding photos. The new file and the removal of the one it replaces commit with the
   * trip's new pointer, or not at all (see ReceiptStorage for what cannot join the transaction).
   */
  async attachReceipt(
    user: AuthUser,
    listId: string,
    tripId: string,
    file: Express.Multer.File | undefined,
  ): Promise<TripResponse> {
    await this.access.requireMember(user.id, listId);
    if (!file) throw new BadRequestException('Send the receipt as a multipart file in the field "receipt".');
    if (!(await this.trips.exists(listId, tripId))) throw new NotFoundException('Trip not found.');
    const receipt = await this.receiptFile(listId, tripId, file.buffer);
    await this.storage.stage(receipt);
    const trip = await this.pointAtReceipt(user, receipt).catch(async (error: unknown) => {
      await this.storage.discard(receipt.key);
      throw error;
    });
    return this.respond(trip);
  }

  /**
   * The old server's receipt of an imported trip (`npm run import:legacy`), through the same
   * pipeline as an upload: type from the bytes, photos re-encoded, stored under a server key,
   * counted against MAX_RECEIPT_BYTES_PER_LIST. Runs inside the importer's unit of work (one
   * per list) and emits nothing: the list's members have not connected to this server yet.
   * Throws what an upload would answer (422 unreadable type, 409 quota), for the report.
   */
  async importReceipt(listId: string, tripId: string, bytes: Buffer): Promise<{ key: string; contentType: string }> {
    const receipt = await this.receiptFile(listId, tripId, bytes);
    const { contentType } = receipt;
    await this.quotas.roomForReceipt(listId, tripId, receipt.body.length);
    const trip = await this.trips.lockInList(listId, tripId);
    if (!trip) throw new NotFoundException('Trip not found.');
    await this.storage.stage(receipt);
    try {
      await this.storage.put(receipt);
      await this.trips.setReceipt(trip, receipt.key, contentType);
    } catch (error) {
      await this.storage.discard(receipt.key);
      throw error;
    }
    return { key: receipt.key, contentType };
  }

  /** The uploaded bytes as the stored receipt: type from the bytes, photos re-encoded, a fresh server key. */
  private async receiptFile(listId: string, tripId: string, bytes: Buffer): Promise<NewReceiptFile> {
    const { body, contentType, extension } = await this.processor.process(bytes);
    return { key: `${tripId}/${randomUUID()}.${extension}`, tripId, listId, contentType, body };
  }

  /** The file behind a signed receipt link; 403 for a bad or expired signature. */
  async openReceipt(tripId: string, file: string, expires?: string, sig?: string): Promise<ReceiptFile> {
    const key = `${tripId}/${file}`;
    const verdict = this.urls.verify(key, expires, sig, this.clock.now().getTime());
    if (verdict === 'invalid') throw new ForbiddenException('This receipt link is not valid.');
    if (verdict === 'expired') {
      throw new ForbiddenException('This receipt link has expired; reload the trip for a new one.');
    }
    const receipt = await this.storage.get(tripId, key);
    if (!receipt) throw new NotFoundException('Receipt not found.');
    return receipt;
  }

  /**
   * Stores the file, points the trip at it, removes the file it replaces and emits `trip:updated`;
   * 409 when the list's receipts would pass MAX_RECEIPT_BYTES_PER_LIST (the replaced file does not
   * count). The list is locked before the trip, as trip completion takes them when it trims history.
   */
  @Transactional()
  private async pointAtReceipt(user: AuthUser, receipt: NewReceiptFile): Promise<TripEntity> {
    await this.quotas.roomForReceipt(receipt.listId, receipt.tripId, receipt.body.length);
    const trip = await this.trips.lockInList(receipt.listId, receipt.tripId);
    if (!trip) throw new NotFoundException('Trip not found.');
    await this.storage.put(receipt);
    const updated = await this.trips.setReceipt(trip, receipt.key, receipt.contentType);
    if (trip.receiptKey) await this.storage.remove(trip.id, trip.receiptKey);
    await this.gateway.emit(receipt.listId, 'trip:updated', toTripResponse(updated, null), user);
    return updated;
  }

  private respond(trip: TripEntity, items?: TripItemEntity[]): TripResponse {
    return toTripResponse(trip, this.sign(trip.receiptKey), items);
  }

  private sign(receiptKey: string | null): string | null {
    return receiptKey ? this.urls.sign(receiptKey, this.clock.now().getTime()) : null;
  }

  private async withReceiptLinks(events: StoredEvent[]): Promise<StoredEvent[]> {
    const keys = await this.trips.receiptKeys(events.map((event) => (event.payload as TripResponse).id));
    return events.map((event) => {
      const trip = event.payload as TripResponse;
      return { ...event, payload: { ...trip, receiptUrl: this.sign(keys.get(trip.id) ?? null) } };
    });
  }
}

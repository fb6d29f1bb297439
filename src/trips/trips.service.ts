import {
  BadRequestException,
  ForbiddenException,
  Injectable,
  NotFoundException,
  UnprocessableEntityException,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Clock } from '../common/clock/clock';
import { AuthUser } from '../common/decorators/current-user.decorator';
import { ListAccess } from '../lists/list-access.service';
import { CompleteTripDto, TripHistoryQuery } from './dto/trip.dto';
import { TripResponse } from './dto/trip.response';
import { ReceiptProcessor } from './receipt-processor';
import { ReceiptStorage } from './receipt-storage';
import { ReceiptUrls } from './receipt-urls';
import { TripEntity, TripItemEntity } from './trip.entity';
import { TripsRepository } from './trips.repository';

const DEFAULT_PAGE = 50;

export interface TripPage {
  trips: TripResponse[];
  /** Cursor for the next page, or null on the last one. */
  nextBefore: string | null;
}

export interface ReceiptFile {
  body: Buffer;
  contentType: string;
}

@Injectable()
export class TripsService {
  constructor(
    private readonly trips: TripsRepository,
    private readonly access: ListAccess,
    private readonly processor: ReceiptProcessor,
    private readonly storage: ReceiptStorage,
    private readonly urls: ReceiptUrls,
    private readonly clock: Clock,
  ) {}

  readonly toResponse = (trip: TripEntity, items?: TripItemEntity[]): TripResponse => ({
    id: trip.id,
    listId: trip.listId,
    storeId: trip.storeId,
    storeName: trip.storeName,
    completedBy: trip.completedBy,
    completedAt: trip.completedAt.toISOString(),
    itemCount: trip.itemCount,
    receiptUrl: trip.receiptKey ? this.urls.sign(trip.receiptKey, this.clock.now().getTime()) : null,
    ...(items
      ? {
          items: items.map((item) => ({
            id: item.itemId,
            name: item.name,
            quantity: item.quantity,
            unit: item.unit,
            category: item.category,
            checkedBy: item.checkedBy,
            checkedAt: item.checkedAt?.toISOString() ?? null,
          })),
        }
      : {}),
  });

  /** Nothing checked → 422: a trip records what was bought. */
  async complete(user: AuthUser, listId: string, dto: CompleteTripDto): Promise<TripResponse> {
    await this.access.requireMember(user.id, listId);
    const outcome = await this.trips.complete(
      listId,
      user.id,
      dto.storeId?.toLowerCase(),
      this.clock.now(),
      this.toResponse,
    );
    switch (outcome.kind) {
      case 'no-store':
        throw new NotFoundException('Store not found.');
      case 'nothing-checked':
        throw new UnprocessableEntityException('Check off what you bought before completing the trip.');
      case 'completed':
        return { ...this.toResponse(outcome.trip, outcome.items), removedItemIds: outcome.items.map((i) => i.itemId) };
    }
  }

  async history(user: AuthUser, listId: string, query: TripHistoryQuery): Promise<TripPage> {
    await this.access.requireMember(user.id, listId);
    const limit = query.limit ?? DEFAULT_PAGE;
    const trips = await this.trips.history(listId, limit, query.before);
    if (!trips) throw new BadRequestException('before is not a trip of this list.');
    return {
      trips: trips.map((trip) => this.toResponse(trip)),
      nextBefore: trips.length === limit ? trips[limit - 1].id : null,
    };
  }

  async detail(user: AuthUser, listId: string, tripId: string): Promise<TripResponse> {
    await this.access.requireMember(user.id, listId);
    const found = await this.trips.detail(listId, tripId);
    if (!found) throw new NotFoundException('Trip not found.');
    return this.toResponse(found.trip, found.items);
  }

  /**
   * Stores the receipt under a server-generated name after deciding its type from its bytes
   * and re-encoding photos; replacing a receipt deletes the old file.
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
    const receipt = await this.processor.process(file.buffer);
    const key = `${tripId}/${randomUUID()}.${receipt.extension}`;
    await this.storage.put(key, receipt.body);
    const attached = await this.trips
      .attachReceipt(listId, tripId, key, receipt.contentType, user.id, this.toResponse)
      .catch(async (error: unknown) => {
        await this.storage.remove(key);
        throw error;
      });
    if (!attached) {
      await this.storage.remove(key);
      throw new NotFoundException('Trip not found.');
    }
    if (attached.replacedKey) await this.storage.remove(attached.replacedKey);
    return this.toResponse(attached.trip);
  }

  /** The file behind a signed receipt link; 403 for a bad or expired signature. */
  async openReceipt(tripId: string, file: string, expires?: string, sig?: string): Promise<ReceiptFile> {
    const key = `${tripId}/${file}`;
    const verdict = this.urls.verify(key, expires, sig, this.clock.now().getTime());
    if (verdict === 'invalid') throw new ForbiddenException('This receipt link is not valid.');
    if (verdict === 'expired')
      throw new ForbiddenException('This receipt link has expired; reload the trip for a new one.');
    const trip = await this.trips.findByReceipt(tripId, key);
    const body = trip?.receiptType ? await this.storage.get(key) : null;
    if (!trip?.receiptType || !body) throw new NotFoundException('Receipt not found.');
    return { body, contentType: trip.receiptType };
  }
}

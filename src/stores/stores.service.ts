import { Transactional } from '@nestjs-cls/transactional';
import { ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { ListAccess } from '../access/list-access.service';
import { Clock } from '../common/clock/clock';
import { AuthUser } from '../common/decorators/current-user.decorator';
import { productKey } from '../common/product-key';
import { learningConfig } from '../config/learning.config';
import { ItemsRepository } from '../items/items.repository';
import { Quotas } from '../quotas/quotas.service';
import { RealtimeGateway } from '../realtime/realtime.gateway';
import { CreateStoreDto, PostOrderDto } from './dto/store.dto';
import { StoreResponse, toStoreResponse } from './dto/store.response';
import { StoreEntity } from './store.entity';
import { storedPairs, StoresRepository } from './stores.repository';
import {
  Check,
  DEFAULT_LEARNING_OPTIONS,
  DEFAULT_RANK_OPTIONS,
  LearningOptions,
  learnTrip,
  RankOptions,
  rankWalkingOrder,
  tripProducts,
} from './walking-order';

/** A posted order older than this is not taken as the route of the trip being completed. */
const POSTED_ORDER_MAX_AGE_MS = 6 * 3_600_000;

/** A checked item as a trip hands it over for learning. */
export interface CheckedItem {
  name: string;
  checkedBy: string | null;
  checkedAt: Date | null;
}

/**
 * Work per request is bounded by what was learned, not by the list: a store learns and ranks
 * at most `STORE_LEARNED_PRODUCTS` products (the most recently walked; older evidence is
 * forgotten when a trip is learned), the items of the list without evidence cost a lookup
 * each, and stores are ranked one at a time with a turn of the event loop between them.
 */
@Injectable()
export class StoresService {
  private readonly learning: LearningOptions;
  private readonly ranking: RankOptions;

  constructor(
    private readonly stores: StoresRepository,
    private readonly items: ItemsRepository,
    private readonly access: ListAccess,
    private readonly gateway: RealtimeGateway,
    private readonly quotas: Quotas,
    private readonly clock: Clock,
    @Inject(learningConfig.KEY) private readonly config: ConfigType<typeof learningConfig>,
  ) {
    this.learning = { ...DEFAULT_LEARNING_OPTIONS, maxProducts: config.storeLearnedProducts };
    this.ranking = { ...DEFAULT_RANK_OPTIONS, maxProducts: config.storeLearnedProducts };
  }

  /** Every store of the list, learned order computed over the items on the list now. */
  async list(user: AuthUser, listId: string): Promise<StoreResponse[]> {
    await this.access.requireMember(user.id, listId);
    const [stores, names] = await Promise.all([this.stores.inList(listId), this.items.namesInList(listId)]);
    return this.views(stores, names);
  }

  @Transactional()
  async create(user: AuthUser, listId: string, dto: CreateStoreDto): Promise<StoreResponse> {
    await this.access.requireMember(user.id, listId);
    const store = await this.stores.create(listId, dto.name);
    if (!store) throw new ConflictException('This list already has a store with that name.');
    await this.quotas.storeAdded(listId);
    const [view] = await this.views([store], []);
    await this.gateway.emit(listId, 'store:updated', view, user);
    return view;
  }

  /**
   * Keeps the order the app posts just before completing a trip; the trip uses it once, and
   * only for a shopper whose own checks did not give a usable route (never both).
   */
  async postOrder(user: AuthUser, listId: string, storeId: string, dto: PostOrderDto): Promise<StoreResponse> {
    await this.access.requireMember(user.id, listId);
    const keys = dto.order
      .map((name) => name.trim())
      .filter(Boolean)
      .map(productKey);
    if (!(await this.stores.postOrder(listId, storeId, keys, user.id, this.clock.now()))) {
      throw new NotFoundException('Store not found.');
    }
    const [store, names] = await Promise.all([this.stores.findInList(listId, storeId), this.items.namesInList(listId)]);
    if (!store) throw new NotFoundException('Store not found.');
    const [view] = await this.views([store], names);
    return view;
  }

  /** The items in the store's learned walking order (positions ascending, unknown last); 404 for no such store. */
  async inWalkingOrder<T extends { name: string }>(listId: string, storeId: string, items: T[]): Promise<T[]> {
    const store = await this.stores.findInList(listId, storeId);
    if (!store) throw new NotFoundException('Store not found.');
    const [{ learnedOrder }] = await this.views(
      [store],
      items.map((item) => item.name),
    );
    const position = (item: T) => learnedOrder[item.name] ?? Number.POSITIVE_INFINITY;
    return [...items].sort((x, y) => position(x) - position(y));
  }

  /** The store locked for a trip's learning; null when the list has no such store. */
  lockForTrip(listId: string, storeId: string): Promise<StoreEntity | null> {
    return this.stores.lockInList(listId, storeId);
  }

  /**
   * Inside the trip's transaction: learns the trip's route into the store's pairs (who checked
   * what when, and the order the app posted — fresh, used once, only where the checks gave no
   * route), counts the trip and emits `store:updated`. Work is bounded by the trip and by
   * STORE_LEARNED_PRODUCTS (at most that many of its products are learned; the store then
   * forgets all but that many of its most recently walked products).
   */
  async learnTrip(actor: AuthUser, store: StoreEntity, checked: CheckedItem[], now: Date): Promise<StoreResponse> {
    const checks: Check[] = checked
      .filter((item) => item.checkedBy && item.checkedAt)
      .map((item) => ({ key: productKey(item.name), shopper: item.checkedBy!, at: item.checkedAt!.getTime() }));
    const fresh = store.postedAt !== null && now.getTime() - store.postedAt.getTime() <= POSTED_ORDER_MAX_AGE_MS;
    const postedOrder = fresh ? (store.postedOrder ?? undefined) : undefined;
    const trip = store.tripCount + 1;
    const evidence = { checks, postedOrder, trip };
    const keys = tripProducts(evidence, this.learning);
    if (keys.length >= 2) {
      const [stored] = await this.stores.pairsAmong([store.id], keys);
      const next = learnTrip(evidence, storedPairs(stored), this.learning);
      await this.stores.savePairs(
        store.id,
        next.map((pair) => ({ ...pair, trip: pair.trip ?? trip })),
      );
      await this.stores.forgetAllBut(store.id, this.config.storeLearnedProducts);
    }
    const counted = await this.stores.countTrip(store);
    const [view] = await this.views([counted], await this.items.namesInList(store.listId));
    await this.gateway.emit(store.listId, 'store:updated', view, actor);
    return view;
  }

  /**
   * The stores as the app sees them: learnedOrder keyed by the names given. Each store is
   * ranked over its pairs among the list's products (at most STORE_LEARNED_PRODUCTS of them),
   * then the event loop gets a turn before the next store.
   */
  private async views(stores: StoreEntity[], names: string[]): Promise<StoreResponse[]> {
    const keyOf = new Map(names.map((name) => [name, productKey(name)] as const));
    const evidence = await this.stores.pairsAmong(
      stores.map((store) => store.id),
      [...new Set(keyOf.values())],
    );
    const evidenceOf = new Map(evidence.map((store) => [store.storeId, store] as const));
    const views: StoreResponse[] = [];
    for (const [i, store] of stores.entries()) {
      if (i > 0) await nextTurn();
      const pairs = storedPairs(evidenceOf.get(store.id));
      // Every pair read joins two products of the list: the store's learned ones are all it ranks.
      const learned = [...new Set(pairs.flatMap((pair) => [pair.a, pair.b]))];
      const ranked = rankWalkingOrder(learned, pairs, this.ranking);
      views.push(toStoreResponse(store, names, (name) => ranked.get(keyOf.get(name)!)));
    }
    return views;
  }
}

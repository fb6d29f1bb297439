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
import { Rank, StoreResponse, toStoreResponse } from './dto/store.response';
import { StoreEntity } from './store.entity';
import { storedPairs, StoresRepository } from './stores.repository';
import {
  Check,
  DEFAULT_LEARNING_OPTIONS,
  DEFAULT_RANK_OPTIONS,
  learnFromSequences,
  LearningOptions,
  RankOptions,
  rankWalkingOrder,
  shopperRoute,
} from './walking-order';

/** A posted order older than this is not taken as (part of) the route of the trip being completed. */
const POSTED_ORDER_MAX_AGE_MS = 6 * 3_600_000;

/** A checked item as a trip hands it over for learning. */
export interface CheckedItem {
  name: string;
  checkedBy: string | null;
  checkedAt: Date | null;
  /** When the item was added: the list's display order (`Check.position`); absent = unknown. */
  createdAt?: Date;
  /** The item's id, breaking ties of `createdAt` as the list's order does. */
  id?: string;
}

/**
 * Each checked item's place in the list as the app displays it: the list's own order (by
 * creation, ties by id, as `GET /lists/:id` answers it), ranked among the trip's items (the
 * order among them is all a tick-off in display order can show). Items without `createdAt`
 * have none.
 */
function displayPositions(items: CheckedItem[]): Map<CheckedItem, number> {
  const dated = items.filter((item) => item.createdAt);
  dated.sort(
    (x, y) =>
      x.createdAt!.getTime() - y.createdAt!.getTime() ||
      ((x.id ?? '') < (y.id ?? '') ? -1 : (x.id ?? '') > (y.id ?? '') ? 1 : 0),
  );
  return new Map(dated.map((item, i) => [item, i] as const));
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

  /** Every store of the list, with every product it has learned (see `views`). */
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
   * Learns the order the app posts at once, as the route of the trip under way (the store's
   * next trip number), answers the store and announces it as `store:updated`. The posted
   * products are kept (`postedOrder`, the union of the fresh posts of this trip) so that the
   * trip, when completed, adds only the pairs they do not cover, and a second post of the
   * same trip adds only what the first did not cover: a trip is never counted twice.
   */
  @Transactional()
  async postOrder(user: AuthUser, listId: string, storeId: string, dto: PostOrderDto): Promise<StoreResponse> {
    await this.access.requireMember(user.id, listId);
    const store = await this.stores.lockInList(listId, storeId);
    if (!store) throw new NotFoundException('Store not found.');
    const names = dto.order.map((name) => name.trim()).filter(Boolean);
    const now = this.clock.now();
    const covered = new Set(this.freshPostedOrder(store, now) ?? []);
    const sequence = [...new Set(names.map(productKey))].filter((key) => key !== '');
    await this.learn(store, [sequence], names, covered);
    const keys = [...new Set([...covered, ...sequence])];
    await this.stores.postOrder(listId, storeId, keys, user.id, now);
    const [view] = await this.views([store], await this.items.namesInList(listId));
    await this.gateway.emit(listId, 'store:updated', view, user);
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
   * what when, per shopper), except the pairs a fresh posted order of this trip already taught
   * (`postOrder` learned them at once: never both), counts the trip and emits `store:updated`.
   * Work is bounded by the trip and by STORE_LEARNED_PRODUCTS (at most that many of its
   * products are learned; the store then forgets all but that many of its most recently
   * walked products).
   */
  async learnTrip(actor: AuthUser, store: StoreEntity, checked: CheckedItem[], now: Date): Promise<StoreResponse> {
    const walked = checked
      .filter((item) => item.checkedBy && item.checkedAt)
      .sort((x, y) => x.checkedAt!.getTime() - y.checkedAt!.getTime());
    const position = displayPositions(walked);
    const checks: Check[] = walked.map((item) => ({
      key: productKey(item.name),
      shopper: item.checkedBy!,
      at: item.checkedAt!.getTime(),
      position: position.get(item),
    }));
    const covered = new Set(this.freshPostedOrder(store, now) ?? []);
    const route = shopperRoute(checks, this.learning);
    await this.learn(
      store,
      route.sequences,
      walked.map((item) => item.name),
      covered,
      route.weights,
    );
    const counted = await this.stores.countTrip(store);
    const [view] = await this.views([counted], await this.items.namesInList(store.listId));
    await this.gateway.emit(store.listId, 'store:updated', view, actor);
    return view;
  }

  /** The order posted for the trip under way, unless it is too old to be that trip's. */
  private freshPostedOrder(store: StoreEntity, now: Date): string[] | null {
    const fresh = store.postedAt !== null && now.getTime() - store.postedAt.getTime() <= POSTED_ORDER_MAX_AGE_MS;
    return fresh ? store.postedOrder : null;
  }

  /**
   * Learns these sequences as part of the store's next trip (pairs among `covered` excepted),
   * remembers the spellings of the learned products (`names`, in the order they happened: the
   * last is the most recent) and keeps the store within STORE_LEARNED_PRODUCTS products.
   */
  private async learn(
    store: StoreEntity,
    sequences: string[][],
    names: string[],
    covered: Set<string>,
    weights?: ReadonlyMap<string, number>,
  ): Promise<void> {
    const keys = [...new Set(sequences.flat())];
    if (keys.length < 2) return;
    const trip = store.tripCount + 1;
    const [stored] = await this.stores.pairsAmong([store.id], keys);
    const next = learnFromSequences(sequences, storedPairs(stored), this.learning, trip, covered, weights);
    if (next.length === 0) return;
    await this.stores.savePairs(
      store.id,
      next.map((pair) => ({ ...pair, trip: pair.trip ?? trip })),
    );
    const learned = new Set(next.flatMap((pair) => [pair.a, pair.b]));
    await this.stores.saveSpellings(
      store.id,
      names.filter((name) => learned.has(productKey(name))),
    );
    await this.stores.forgetAllBut(store.id, this.config.storeLearnedProducts);
  }

  /**
   * The stores as the app sees them: every product each store has learned (at most
   * STORE_LEARNED_PRODUCTS), ranked over the whole store, so the positions are distinct and
   * do not change as items come and go; keyed by the names given (the list's items) for the
   * products on the list, else by the product's most recent spelling. Each store is ranked,
   * then the event loop gets a turn before the next store.
   */
  private async views(stores: StoreEntity[], names: string[]): Promise<StoreResponse[]> {
    const ids = stores.map((store) => store.id);
    const [evidence, spellings] = await Promise.all([this.stores.pairsOf(ids), this.stores.spellingsOf(ids)]);
    const evidenceOf = new Map(evidence.map((store) => [store.storeId, store] as const));
    const onList = new Set(names.map(productKey));
    const views: StoreResponse[] = [];
    for (const [i, store] of stores.entries()) {
      if (i > 0) await nextTurn();
      const pairs = storedPairs(evidenceOf.get(store.id));
      const learned = [...new Set(pairs.flatMap((pair) => [pair.a, pair.b]))];
      const ranked = rankWalkingOrder(learned, pairs, this.ranking);
      const spelling = spellings.get(store.id);
      const rankOf = new Map<string, Rank>();
      for (const name of names) {
        const rank = ranked.get(productKey(name));
        if (rank) rankOf.set(name, rank);
      }
      for (const [key, rank] of ranked) {
        if (!onList.has(key)) rankOf.set(spelling?.get(key) ?? key, rank);
      }
      views.push(toStoreResponse(store, [...rankOf.keys()], (name) => rankOf.get(name)));
    }
    return views;
  }
}

import { ConflictException } from '@nestjs/common';
import { mock, MockProxy } from 'jest-mock-extended';
import { callOrder, NOW, serviceUnderTest, ServiceUnderTest } from '../../test/support/unit';
import { ListAccess } from '../access/list-access.service';
import { learningConfig } from '../config/learning.config';
import { ItemsRepository } from '../items/items.repository';
import { QuotaExceeded } from '../quotas/quota-exceeded';
import { Quotas } from '../quotas/quotas.service';
import { RealtimeGateway } from '../realtime/realtime.gateway';
import { StoreEntity } from './store.entity';
import { StoresRepository } from './stores.repository';
import { StoresService } from './stores.service';

const user = { id: 'u1', sessionId: 's1' };

function store(overrides: Partial<StoreEntity> = {}): StoreEntity {
  return Object.assign(new StoreEntity(), {
    id: 's1',
    listId: 'l1',
    name: 'Lidl',
    nameKey: 'lidl',
    tripCount: 2,
    postedOrder: null,
    postedBy: null,
    postedAt: null,
    createdAt: new Date('2026-01-01T00:00:00Z'),
    updatedAt: new Date('2026-01-01T00:00:00Z'),
    ...overrides,
  });
}

describe('StoresService', () => {
  let stores: MockProxy<StoresRepository>;
  let items: MockProxy<ItemsRepository>;
  let gateway: MockProxy<RealtimeGateway>;
  let unit: ServiceUnderTest<StoresService>;
  let service: StoresService;
  let emittedInTransaction: boolean[];

  let quotas: MockProxy<Quotas>;
  beforeEach(async () => {
    quotas = mock<Quotas>();
    stores = mock<StoresRepository>();
    items = mock<ItemsRepository>();
    gateway = mock<RealtimeGateway>();
    const access = mock<ListAccess>();
    access.requireMember.mockResolvedValue('member');
    stores.pairsAmong.mockResolvedValue([]);
    stores.pairsOf.mockResolvedValue([]);
    stores.spellingsOf.mockResolvedValue(new Map());
    stores.countTrip.mockImplementation((s) => Promise.resolve({ ...s, tripCount: s.tripCount + 1 }));
    items.namesInList.mockResolvedValue([]);
    emittedInTransaction = [];
    gateway.emit.mockImplementation(() => {
      emittedInTransaction.push(unit.inTransaction());
      return Promise.resolve(3);
    });
    unit = await serviceUnderTest(StoresService, [
      { provide: StoresRepository, useValue: stores },
      { provide: ItemsRepository, useValue: items },
      { provide: ListAccess, useValue: access },
      { provide: RealtimeGateway, useValue: gateway },
      { provide: Quotas, useValue: quotas },
      { provide: learningConfig.KEY, useValue: learningConfig({}) },
    ]);
    service = unit.service;
  });

  describe('create', () => {
    it('should emit store:updated with the new store after the insert, inside its unit of work', async () => {
      stores.create.mockResolvedValue(store({ tripCount: 0 }));
      const created = await service.create(user, 'l1', { name: 'Lidl' });
      expect(created).toEqual({
        id: 's1',
        listId: 'l1',
        name: 'Lidl',
        tripCount: 0,
        learnedOrder: {},
        confidence: {},
        createdAt: '2026-01-01T00:00:00.000Z',
      });
      expect(gateway.emit).toHaveBeenCalledWith('l1', 'store:updated', created, user);
      const [insert, emit] = callOrder(stores.create, gateway.emit);
      expect(insert).toBeLessThan(emit);
      expect(emittedInTransaction).toEqual([true]);
    });

    it('should answer 409 for a name the list has, and emit nothing', async () => {
      stores.create.mockResolvedValue(null);
      await expect(service.create(user, 'l1', { name: 'lidl' })).rejects.toBeInstanceOf(ConflictException);
      expect(gateway.emit).not.toHaveBeenCalled();
      expect(quotas.storeAdded).not.toHaveBeenCalled();
    });

    it('should check the store quota after the insert and emit nothing when the list is over it', async () => {
      stores.create.mockResolvedValue(store({ tripCount: 0 }));
      quotas.storeAdded.mockRejectedValue(
        new QuotaExceeded('storesPerList', 1, 'This list already has 1 stores, the most a list can hold.'),
      );
      await expect(service.create(user, 'l1', { name: 'Lidl' })).rejects.toMatchObject({ statusCode: 409 });
      expect(quotas.storeAdded).toHaveBeenCalledWith('l1');
      const [insert, check] = callOrder(stores.create, quotas.storeAdded);
      expect(insert).toBeLessThan(check);
      expect(gateway.emit).not.toHaveBeenCalled();
    });

    it('should emit nothing when the insert fails', async () => {
      stores.create.mockRejectedValue(new Error('connection lost'));
      await expect(service.create(user, 'l1', { name: 'Lidl' })).rejects.toThrow('connection lost');
      expect(gateway.emit).not.toHaveBeenCalled();
    });
  });

  describe('learnTrip', () => {
    const checked = [
      { name: 'Milk', checkedBy: 'u1', checkedAt: new Date(NOW.getTime() - 60_000) },
      { name: 'Bread', checkedBy: 'u1', checkedAt: new Date(NOW.getTime() - 30_000) },
    ];

    it('should write the trip’s pairs, forget beyond the learned products, count the trip, then emit store:updated', async () => {
      const view = await service.learnTrip(user, store(), checked, NOW);
      expect(stores.pairsAmong).toHaveBeenCalledWith(['s1'], ['milk', 'bread']);
      expect(stores.savePairs).toHaveBeenCalledWith('s1', [{ a: 'bread', b: 'milk', ab: 0, ba: 1, trip: 3 }]);
      expect(stores.saveSpellings).toHaveBeenCalledWith('s1', ['Milk', 'Bread']);
      expect(stores.forgetAllBut).toHaveBeenCalledWith('s1', 100);
      expect(view).toMatchObject({ id: 's1', tripCount: 3 });
      expect(gateway.emit).toHaveBeenCalledWith('l1', 'store:updated', view, user);
      const [save, forget, count, emit] = callOrder(
        stores.savePairs,
        stores.forgetAllBut,
        stores.countTrip,
        gateway.emit,
      );
      expect(save).toBeLessThan(forget);
      expect(forget).toBeLessThan(count);
      expect(count).toBeLessThan(emit);
    });

    it('should not learn again the pairs a fresh posted order of this trip already taught', async () => {
      const posted = store({
        postedOrder: ['milk', 'bread'],
        postedBy: 'u1',
        postedAt: new Date(NOW.getTime() - 60_000),
      });
      await service.learnTrip(user, posted, [...checked, { name: 'Eggs', checkedBy: 'u1', checkedAt: NOW }], NOW);
      expect(stores.savePairs).toHaveBeenCalledWith('s1', [
        { a: 'bread', b: 'eggs', ab: 1, ba: 0, trip: 3 },
        { a: 'eggs', b: 'milk', ab: 0, ba: 1, trip: 3 },
      ]);
    });

    it('should learn the pairs again when the posted order is older than six hours (another trip’s)', async () => {
      const stale = store({
        postedOrder: ['milk', 'bread'],
        postedBy: 'u1',
        postedAt: new Date(NOW.getTime() - 6 * 3_600_000 - 1),
      });
      await service.learnTrip(user, stale, checked, NOW);
      expect(stores.savePairs).toHaveBeenCalledWith('s1', [{ a: 'bread', b: 'milk', ab: 0, ba: 1, trip: 3 }]);
    });

    it('should rank the checked items in the list order (createdAt, ties by id) and learn a tick-off in it at 0.1', async () => {
      const added = new Date('2026-01-01T00:00:00Z');
      const at = (ms: number) => new Date(NOW.getTime() - 3_600_000 + ms);
      const trip = (milkId: string, breadId: string) => [
        { id: 'i9', name: 'Apples', checkedBy: 'u1', checkedAt: at(0), createdAt: new Date(added.getTime() + 2) },
        { id: milkId, name: 'Milk', checkedBy: 'u1', checkedAt: at(600_000), createdAt: added },
        { id: breadId, name: 'Bread', checkedBy: 'u1', checkedAt: at(600_300), createdAt: added },
        { id: 'i3', name: 'Eggs', checkedBy: 'u1', checkedAt: at(600_600), createdAt: new Date(added.getTime() + 1) },
      ];
      // Ticked at home ten minutes after Apples, Milk, Bread, Eggs as the list shows them.
      await service.learnTrip(user, store(), trip('i1', 'i2'), NOW);
      expect(stores.savePairs).toHaveBeenLastCalledWith('s1', [
        { a: 'apples', b: 'bread', ab: 0.1, ba: 0, trip: 3 },
        { a: 'apples', b: 'eggs', ab: 0.1, ba: 0, trip: 3 },
        { a: 'apples', b: 'milk', ab: 0.1, ba: 0, trip: 3 },
        { a: 'bread', b: 'eggs', ab: 0.1, ba: 0, trip: 3 },
        { a: 'bread', b: 'milk', ab: 0, ba: 0.1, trip: 3 },
        { a: 'eggs', b: 'milk', ab: 0, ba: 0.1, trip: 3 },
      ]);
      // Added at the same time, Bread's id first: the list shows Bread before Milk, so not its order.
      await service.learnTrip(user, store(), trip('i2', 'i1'), NOW);
      expect(stores.savePairs).toHaveBeenLastCalledWith('s1', [
        { a: 'apples', b: 'bread', ab: 1, ba: 0, trip: 3 },
        { a: 'apples', b: 'eggs', ab: 1, ba: 0, trip: 3 },
        { a: 'apples', b: 'milk', ab: 1, ba: 0, trip: 3 },
        { a: 'bread', b: 'eggs', ab: 1, ba: 0, trip: 3 },
        { a: 'bread', b: 'milk', ab: 0, ba: 1, trip: 3 },
        { a: 'eggs', b: 'milk', ab: 0, ba: 1, trip: 3 },
      ]);
    });

    it('should emit nothing when writing the pairs fails', async () => {
      stores.savePairs.mockRejectedValue(new Error('deadlock'));
      await expect(service.learnTrip(user, store(), checked, NOW)).rejects.toThrow('deadlock');
      expect(stores.countTrip).not.toHaveBeenCalled();
      expect(gateway.emit).not.toHaveBeenCalled();
    });
  });

  describe('postOrder', () => {
    beforeEach(() => stores.lockInList.mockResolvedValue(store()));

    it('should learn the posted order as the next trip, keep its products, then emit store:updated inside its unit of work', async () => {
      const view = await service.postOrder(user, 'l1', 's1', { order: [' Milk ', 'Bread', 'milk'] });
      expect(stores.savePairs).toHaveBeenCalledWith('s1', [{ a: 'bread', b: 'milk', ab: 0, ba: 1, trip: 3 }]);
      expect(stores.saveSpellings).toHaveBeenCalledWith('s1', ['Milk', 'Bread', 'milk']);
      expect(stores.postOrder).toHaveBeenCalledWith('l1', 's1', ['milk', 'bread'], 'u1', NOW);
      expect(stores.countTrip).not.toHaveBeenCalled();
      expect(gateway.emit).toHaveBeenCalledWith('l1', 'store:updated', view, user);
      expect(emittedInTransaction).toEqual([true]);
    });

    it('should add only what an earlier fresh post of the same trip did not cover', async () => {
      stores.lockInList.mockResolvedValue(
        store({ postedOrder: ['milk', 'bread'], postedBy: 'u1', postedAt: new Date(NOW.getTime() - 60_000) }),
      );
      await service.postOrder(user, 'l1', 's1', { order: ['Milk', 'Bread', 'Eggs'] });
      expect(stores.savePairs).toHaveBeenCalledWith('s1', [
        { a: 'bread', b: 'eggs', ab: 1, ba: 0, trip: 3 },
        { a: 'eggs', b: 'milk', ab: 0, ba: 1, trip: 3 },
      ]);
      expect(stores.postOrder).toHaveBeenCalledWith('l1', 's1', ['milk', 'bread', 'eggs'], 'u1', NOW);
    });

    it('should answer 404 for a store not in the list, and learn and emit nothing', async () => {
      stores.lockInList.mockResolvedValue(null);
      await expect(service.postOrder(user, 'l1', 's9', { order: ['Milk', 'Bread'] })).rejects.toMatchObject({
        status: 404,
      });
      expect(stores.savePairs).not.toHaveBeenCalled();
      expect(gateway.emit).not.toHaveBeenCalled();
    });
  });
});

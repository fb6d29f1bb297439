import { UnprocessableEntityException } from '@nestjs/common';
import { mock, MockProxy } from 'jest-mock-extended';
import { callOrder, NOW, serviceUnderTest, ServiceUnderTest } from '../../test/support/unit';
import { ListAccess } from '../access/list-access.service';
import { ItemEntity } from '../items/item.entity';
import { ItemsRepository } from '../items/items.repository';
import { RealtimeGateway } from '../realtime/realtime.gateway';
import { StoresService } from '../stores/stores.service';
import { ReceiptProcessor } from './receipt-processor';
import { ReceiptStorage } from './receipt-storage';
import { ReceiptUrls } from './receipt-urls';
import { TripEntity, TripItemEntity } from './trip.entity';
import { TripsRepository } from './trips.repository';
import { TripsService } from './trips.service';

const user = { id: 'u1', sessionId: 's1' };

const milk = Object.assign(new ItemEntity(), {
  id: 'i1',
  listId: 'l1',
  name: 'Milk',
  quantity: 2,
  unit: 'l',
  note: null,
  category: null,
  checked: true,
  checkedBy: 'u1',
  checkedAt: new Date('2026-03-02T09:59:00.000Z'),
  addedBy: 'u1',
  version: 2,
  createdAt: new Date('2026-03-01T00:00:00Z'),
  updatedAt: new Date('2026-03-01T00:00:00Z'),
});

const trip = Object.assign(new TripEntity(), {
  id: 't1',
  listId: 'l1',
  storeId: null,
  storeName: null,
  completedBy: 'u1',
  completedAt: NOW,
  itemCount: 1,
  receiptKey: null,
  receiptType: null,
});

const tripItem = Object.assign(new TripItemEntity(), {
  tripId: 't1',
  itemId: 'i1',
  productKey: 'milk',
  name: 'Milk',
  quantity: 2,
  unit: 'l',
  category: null,
  checkedBy: 'u1',
  checkedAt: milk.checkedAt,
});

describe('TripsService', () => {
  let trips: MockProxy<TripsRepository>;
  let items: MockProxy<ItemsRepository>;
  let gateway: MockProxy<RealtimeGateway>;
  let unit: ServiceUnderTest<TripsService>;
  let service: TripsService;
  let emittedInTransaction: boolean[];

  beforeEach(async () => {
    trips = mock<TripsRepository>();
    items = mock<ItemsRepository>();
    gateway = mock<RealtimeGateway>();
    const access = mock<ListAccess>();
    access.requireMember.mockResolvedValue('member');
    items.lockChecked.mockResolvedValue([milk]);
    trips.create.mockResolvedValue({ trip, items: [tripItem] });
    emittedInTransaction = [];
    gateway.emit.mockImplementation(() => {
      emittedInTransaction.push(unit.inTransaction());
      return Promise.resolve(9);
    });
    unit = await serviceUnderTest(TripsService, [
      { provide: TripsRepository, useValue: trips },
      { provide: ItemsRepository, useValue: items },
      { provide: StoresService, useValue: mock<StoresService>() },
      { provide: ListAccess, useValue: access },
      { provide: RealtimeGateway, useValue: gateway },
      { provide: ReceiptProcessor, useValue: mock<ReceiptProcessor>() },
      { provide: ReceiptStorage, useValue: mock<ReceiptStorage>() },
      { provide: ReceiptUrls, useValue: mock<ReceiptUrls>() },
    ]);
    service = unit.service;
  });

  it('should snapshot, remove the bought items, then emit trip:completed without a receipt link', async () => {
    const completed = await service.complete(user, 'l1', {});
    expect(trips.create).toHaveBeenCalledWith(
      { listId: 'l1', storeId: null, storeName: null, completedBy: 'u1', completedAt: NOW, itemCount: 1 },
      [
        {
          itemId: 'i1',
          productKey: 'milk',
          name: 'Milk',
          quantity: 2,
          unit: 'l',
          category: null,
          checkedBy: 'u1',
          checkedAt: milk.checkedAt,
        },
      ],
    );
    expect(items.removeMany).toHaveBeenCalledWith('l1', ['i1']);
    expect(gateway.emit).toHaveBeenCalledWith('l1', 'trip:completed', completed, user);
    expect(completed).toMatchObject({ id: 't1', receiptUrl: null, removedItemIds: ['i1'], itemCount: 1 });
    const [create, remove, emit] = callOrder(trips.create, items.removeMany, gateway.emit);
    expect(create).toBeLessThan(remove);
    expect(remove).toBeLessThan(emit);
    expect(emittedInTransaction).toEqual([true]);
  });

  it('should emit nothing when removing the bought items fails', async () => {
    items.removeMany.mockRejectedValue(new Error('deadlock'));
    await expect(service.complete(user, 'l1', {})).rejects.toThrow('deadlock');
    expect(gateway.emit).not.toHaveBeenCalled();
  });

  it('should answer 422 with nothing checked, and neither write nor emit', async () => {
    items.lockChecked.mockResolvedValue([]);
    await expect(service.complete(user, 'l1', {})).rejects.toBeInstanceOf(UnprocessableEntityException);
    expect(trips.create).not.toHaveBeenCalled();
    expect(gateway.emit).not.toHaveBeenCalled();
  });
});

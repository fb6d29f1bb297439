import { NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { mock, MockProxy } from 'jest-mock-extended';
import { callOrder, NOW, serviceUnderTest, ServiceUnderTest } from '../../test/support/unit';
import { ListAccess } from '../access/list-access.service';
import { ItemEntity } from '../items/item.entity';
import { clientTimeConfig } from '../config/client-time.config';
import { quotaConfig } from '../config/quota.config';
import { ItemsRepository } from '../items/items.repository';
import { QuotaExceeded } from '../quotas/quota-exceeded';
import { Quotas } from '../quotas/quotas.service';
import { RealtimeGateway } from '../realtime/realtime.gateway';
import { StoresService } from '../stores/stores.service';
import { ReceiptProcessor } from './receipt-processor';
import { ReceiptStorage } from './receipt-storage';
import { ReceiptUrls } from './receipt-urls';
import { TripEntity, TripItemEntity } from './trip.entity';
import { TripsRepository } from './trips.repository';
import { TripsService } from './trips.service';

const user = { id: 'u1', sessionId: 's1' };
const RECEIPT_BYTES = Buffer.from('png bytes');
const upload = { buffer: Buffer.from('uploaded') } as Express.Multer.File;

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
  checkedReceivedAt: new Date('2026-03-02T09:59:01.000Z'),
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
  receivedAt: NOW,
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
  checkedReceivedAt: milk.checkedReceivedAt,
});

describe('TripsService', () => {
  let trips: MockProxy<TripsRepository>;
  let items: MockProxy<ItemsRepository>;
  let gateway: MockProxy<RealtimeGateway>;
  let processor: MockProxy<ReceiptProcessor>;
  let storage: MockProxy<ReceiptStorage>;
  let quotas: MockProxy<Quotas>;
  /** Whether each storage call ran inside the unit of work, by method. */
  let storageInTransaction: Record<string, boolean[]>;
  let unit: ServiceUnderTest<TripsService>;
  let service: TripsService;
  let emittedInTransaction: boolean[];

  beforeEach(async () => {
    trips = mock<TripsRepository>();
    items = mock<ItemsRepository>();
    gateway = mock<RealtimeGateway>();
    processor = mock<ReceiptProcessor>();
    storage = mock<ReceiptStorage>();
    quotas = mock<Quotas>();
    storageInTransaction = {};
    for (const method of ['stage', 'put', 'remove', 'discard'] as const) {
      storage[method].mockImplementation(() => {
        (storageInTransaction[method] ??= []).push(unit.inTransaction());
        return Promise.resolve();
      });
    }
    processor.process.mockResolvedValue({ body: RECEIPT_BYTES, contentType: 'image/png', extension: 'png' });
    trips.exists.mockResolvedValue(true);
    trips.lockInList.mockResolvedValue({ ...trip, receiptKey: 't1/old.jpg', receiptType: 'image/jpeg' });
    trips.setReceipt.mockImplementation((locked, receiptKey, receiptType) =>
      Promise.resolve({ ...locked, receiptKey, receiptType }),
    );
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
      { provide: ReceiptProcessor, useValue: processor },
      { provide: ReceiptStorage, useValue: storage },
      { provide: ReceiptUrls, useValue: mock<ReceiptUrls>() },
      { provide: Quotas, useValue: quotas },
      { provide: clientTimeConfig.KEY, useValue: clientTimeConfig({}) },
      {
        provide: quotaConfig.KEY,
        useValue: quotaConfig({ TRIPS_KEPT_PER_LIST: '30', TRIP_ITEMS_KEPT_PER_LIST: '900' }),
      },
    ]);
    service = unit.service;
  });

  it('should snapshot, remove the bought items, then emit trip:completed without a receipt link', async () => {
    const completed = await service.complete(user, 'l1', {});
    expect(trips.create).toHaveBeenCalledWith(
      {
        listId: 'l1',
        storeId: null,
        storeName: null,
        completedBy: 'u1',
        completedAt: NOW,
        receivedAt: NOW,
        itemCount: 1,
      },
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
          checkedReceivedAt: milk.checkedReceivedAt,
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

  it('should trim the history after the trip’s event (under the list’s lock), keeping the trip just completed', async () => {
    await service.complete(user, 'l1', {});
    expect(trips.trimHistory).toHaveBeenCalledWith('l1', 't1', 30, 900);
    const [emit, trim] = callOrder(gateway.emit, trips.trimHistory);
    expect(emit).toBeLessThan(trim);
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

  describe('attachReceipt', () => {
    const NEW_KEY = expect.stringMatching(/^t1\/[0-9a-f-]{36}\.png$/);
    const newFile = { key: NEW_KEY, tripId: 't1', listId: 'l1', contentType: 'image/png', body: RECEIPT_BYTES };

    it('should stage the file, then put it, point the trip at it and remove the replaced one inside the unit of work, then emit', async () => {
      await service.attachReceipt(user, 'l1', 't1', upload);

      expect(storage.stage).toHaveBeenCalledWith(newFile);
      expect(storage.put).toHaveBeenCalledWith(newFile);
      expect(trips.setReceipt).toHaveBeenCalledWith(expect.objectContaining({ id: 't1' }), NEW_KEY, 'image/png');
      expect(storage.remove).toHaveBeenCalledWith('t1', 't1/old.jpg');
      expect(storageInTransaction).toEqual({ stage: [false], put: [true], remove: [true] });
      const [stage, put, point, remove, emit] = callOrder(
        storage.stage,
        storage.put,
        trips.setReceipt,
        storage.remove,
        gateway.emit,
      );
      expect(stage).toBeLessThan(put);
      expect(put).toBeLessThan(point);
      expect(point).toBeLessThan(remove);
      expect(remove).toBeLessThan(emit);
      expect(emittedInTransaction).toEqual([true]);
      expect(storage.discard).not.toHaveBeenCalled();
    });

    it('should check the list’s receipt bytes first in the unit of work (the list before the trip), counting the new file', async () => {
      let checkedInTransaction = false;
      quotas.roomForReceipt.mockImplementation(() => {
        checkedInTransaction = unit.inTransaction();
        return Promise.resolve();
      });
      await service.attachReceipt(user, 'l1', 't1', upload);
      expect(quotas.roomForReceipt).toHaveBeenCalledWith('l1', 't1', RECEIPT_BYTES.length);
      const [check, lock] = callOrder(quotas.roomForReceipt, trips.lockInList);
      expect(check).toBeLessThan(lock);
      expect(checkedInTransaction).toBe(true);
    });

    it('should store nothing, emit nothing and discard the staged file when the receipt would pass the budget', async () => {
      quotas.roomForReceipt.mockRejectedValue(
        new QuotaExceeded('receiptBytesPerList', 5, "This receipt would take this list's receipts past 5 bytes."),
      );
      await expect(service.attachReceipt(user, 'l1', 't1', upload)).rejects.toMatchObject({ statusCode: 409 });
      expect(storage.put).not.toHaveBeenCalled();
      expect(trips.setReceipt).not.toHaveBeenCalled();
      expect(gateway.emit).not.toHaveBeenCalled();
      expect(storage.discard).toHaveBeenCalledWith(storage.stage.mock.calls[0][0].key);
    });

    it('should remove nothing when the trip had no receipt', async () => {
      trips.lockInList.mockResolvedValue(trip);
      await service.attachReceipt(user, 'l1', 't1', upload);
      expect(storage.put).toHaveBeenCalledWith(newFile);
      expect(storage.remove).not.toHaveBeenCalled();
    });

    it('should discard the staged file after the unit of work failed, and fail with its error', async () => {
      gateway.emit.mockRejectedValue(new Error('event log unavailable'));

      await expect(service.attachReceipt(user, 'l1', 't1', upload)).rejects.toThrow('event log unavailable');

      const [key] = storage.stage.mock.calls[0].map((file) => file.key);
      expect(storage.discard).toHaveBeenCalledWith(key);
      expect(storageInTransaction.discard).toEqual([false]);
    });

    it('should answer 404 and stage nothing for a trip that is not in the list', async () => {
      trips.exists.mockResolvedValue(false);
      await expect(service.attachReceipt(user, 'l1', 't1', upload)).rejects.toBeInstanceOf(NotFoundException);
      expect(storage.stage).not.toHaveBeenCalled();
      expect(processor.process).not.toHaveBeenCalled();
    });
  });
});

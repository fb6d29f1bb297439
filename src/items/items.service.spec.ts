import { NotFoundException } from '@nestjs/common';
import { mock, MockProxy } from 'jest-mock-extended';
import { callOrder, NOW, serviceUnderTest, ServiceUnderTest } from '../../test/support/unit';
import { clientTimeConfig } from '../config/client-time.config';
import { ListAccess } from '../access/list-access.service';
import { QuotaExceeded } from '../quotas/quota-exceeded';
import { Quotas } from '../quotas/quotas.service';
import { RealtimeGateway } from '../realtime/realtime.gateway';
import { ItemEntity } from './item.entity';
import { ItemsRepository } from './items.repository';
import { ItemsService } from './items.service';

const user = { id: 'u1', sessionId: 's1' };

function entity(overrides: Partial<ItemEntity> = {}): ItemEntity {
  return Object.assign(new ItemEntity(), {
    id: 'i1',
    listId: 'l1',
    name: 'Milk',
    quantity: 1,
    unit: '×',
    note: null,
    category: null,
    checked: false,
    checkedBy: null,
    checkedAt: null,
    addedBy: 'u1',
    version: 1,
    createdAt: new Date('2026-01-01T00:00:00Z'),
    updatedAt: new Date('2026-01-01T00:00:00Z'),
    ...overrides,
  });
}

const milkResponse = {
  id: 'i1',
  listId: 'l1',
  name: 'Milk',
  quantity: 1,
  unit: '×',
  checked: false,
  checkedBy: null,
  checkedAt: null,
  addedBy: 'u1',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  version: 1,
  note: null,
  category: null,
};

describe('ItemsService', () => {
  let items: MockProxy<ItemsRepository>;
  let access: MockProxy<ListAccess>;
  let gateway: MockProxy<RealtimeGateway>;
  let quotas: MockProxy<Quotas>;
  let unit: ServiceUnderTest<ItemsService>;
  let service: ItemsService;
  /** Whether each emit happened inside the unit of work. */
  let emittedInTransaction: boolean[];

  beforeEach(async () => {
    items = mock<ItemsRepository>();
    access = mock<ListAccess>();
    gateway = mock<RealtimeGateway>();
    quotas = mock<Quotas>();
    access.requireMember.mockResolvedValue('member');
    items.save.mockImplementation((item) => Promise.resolve(item));
    emittedInTransaction = [];
    gateway.emit.mockImplementation(() => {
      emittedInTransaction.push(unit.inTransaction());
      return Promise.resolve(7);
    });
    unit = await serviceUnderTest(ItemsService, [
      { provide: ItemsRepository, useValue: items },
      { provide: ListAccess, useValue: access },
      { provide: RealtimeGateway, useValue: gateway },
      { provide: Quotas, useValue: quotas },
      { provide: clientTimeConfig.KEY, useValue: clientTimeConfig({}) },
    ]);
    service = unit.service;
  });

  describe('add', () => {
    it('should emit item:added with the response, after the write and inside its unit of work', async () => {
      items.add.mockResolvedValue({ kind: 'added', item: entity() });
      await expect(service.add(user, 'l1', { name: 'Milk' })).resolves.toEqual(milkResponse);
      expect(gateway.emit).toHaveBeenCalledWith('l1', 'item:added', milkResponse, user);
      const [write, emit] = callOrder(items.add, gateway.emit);
      expect(write).toBeLessThan(emit);
      expect(emittedInTransaction).toEqual([true]);
    });

    it('should check the list’s item quota after the event (its append holds the list lock), inside the unit of work', async () => {
      let checkedInTransaction = false;
      quotas.itemAdded.mockImplementation(() => {
        checkedInTransaction = unit.inTransaction();
        return Promise.resolve();
      });
      items.add.mockResolvedValue({ kind: 'added', item: entity() });
      await service.add(user, 'l1', { name: 'Milk' });
      expect(quotas.itemAdded).toHaveBeenCalledWith('l1', { listLocked: true });
      const [write, emit, check] = callOrder(items.add, gateway.emit, quotas.itemAdded);
      expect(write).toBeLessThan(emit);
      expect(emit).toBeLessThan(check);
      expect(checkedInTransaction).toBe(true);
    });

    it('should fail with the 409 when the list is over its item quota, the event inside the failed unit of work', async () => {
      let emittedInTransaction = false;
      gateway.emit.mockImplementation(() => {
        emittedInTransaction = unit.inTransaction();
        return Promise.resolve(1);
      });
      items.add.mockResolvedValue({ kind: 'added', item: entity() });
      quotas.itemAdded.mockRejectedValue(
        new QuotaExceeded('itemsPerList', 2, 'This list already has 2 items, the most a list can hold.'),
      );
      await expect(service.add(user, 'l1', { name: 'Milk' })).rejects.toMatchObject({
        statusCode: 409,
        quota: 'itemsPerList',
      });
      // Rolled back with the item (test/quotas.e2e-spec.ts: no row, no event, no frame).
      expect(emittedInTransaction).toBe(true);
    });

    it('should emit nothing when the write fails', async () => {
      items.add.mockRejectedValue(new Error('connection lost'));
      await expect(service.add(user, 'l1', { name: 'Milk' })).rejects.toThrow('connection lost');
      expect(gateway.emit).not.toHaveBeenCalled();
    });

    it('should emit nothing for a retried add that found its item, and answer that item', async () => {
      items.add.mockResolvedValue({ kind: 'existing', item: entity() });
      await expect(service.add(user, 'l1', { name: 'Milk', id: 'I1' })).resolves.toEqual(milkResponse);
      expect(items.add).toHaveBeenCalledWith('l1', 'u1', expect.anything(), 'i1');
      expect(gateway.emit).not.toHaveBeenCalled();
      expect(quotas.itemAdded).not.toHaveBeenCalled();
    });

    it('should answer 409 for an id used on another list and emit nothing', async () => {
      items.add.mockResolvedValue({ kind: 'id-taken' });
      await expect(service.add(user, 'l1', { name: 'Milk', id: 'i1' })).rejects.toMatchObject({ status: 409 });
      expect(gateway.emit).not.toHaveBeenCalled();
    });

    it('should check membership before writing and not write for a non-member', async () => {
      access.requireMember.mockRejectedValue(new NotFoundException('List not found.'));
      await expect(service.add(user, 'l1', { name: 'Milk' })).rejects.toBeInstanceOf(NotFoundException);
      expect(access.requireMember).toHaveBeenCalledWith('u1', 'l1');
      expect(items.add).not.toHaveBeenCalled();
      expect(gateway.emit).not.toHaveBeenCalled();
    });

    it('should default quantity to 1 and unit to × (also for an empty unit)', async () => {
      items.add.mockResolvedValue({ kind: 'added', item: entity() });
      await service.add(user, 'l1', { name: 'Milk', unit: '' });
      expect(items.add).toHaveBeenCalledWith(
        'l1',
        'u1',
        { name: 'Milk', quantity: 1, unit: '×', note: null, category: null },
        undefined,
      );
    });
  });

  describe('update', () => {
    it('should record who checked and when (the Clock), bump the version and emit item:updated after saving', async () => {
      items.lockInList.mockResolvedValue(entity());
      const item = await service.update(user, 'l1', 'i1', { checked: true });
      expect(item).toMatchObject({ checked: true, checkedBy: 'u1', checkedAt: NOW.toISOString(), version: 2 });
      expect(items.lockInList).toHaveBeenCalledWith('l1', 'i1');
      expect(gateway.emit).toHaveBeenCalledWith('l1', 'item:updated', item, user);
      const [save, emit] = callOrder(items.save, gateway.emit);
      expect(save).toBeLessThan(emit);
      expect(emittedInTransaction).toEqual([true]);
    });

    it('should clear who and when on uncheck', async () => {
      items.lockInList.mockResolvedValue(entity({ checked: true, checkedBy: 'u2', checkedAt: NOW, version: 3 }));
      await expect(service.update(user, 'l1', 'i1', { checked: false })).resolves.toMatchObject({
        checked: false,
        checkedBy: null,
        checkedAt: null,
        version: 4,
      });
    });

    it('should neither save nor emit when nothing changes', async () => {
      items.lockInList.mockResolvedValue(entity());
      await expect(service.update(user, 'l1', 'i1', { name: 'Milk', checked: false })).resolves.toEqual(milkResponse);
      expect(items.save).not.toHaveBeenCalled();
      expect(gateway.emit).not.toHaveBeenCalled();
    });

    it('should emit nothing when saving fails', async () => {
      items.lockInList.mockResolvedValue(entity());
      items.save.mockRejectedValue(new Error('deadlock'));
      await expect(service.update(user, 'l1', 'i1', { name: 'Oat milk' })).rejects.toThrow('deadlock');
      expect(gateway.emit).not.toHaveBeenCalled();
    });

    it('should answer 404 when the item is not on that list', async () => {
      items.lockInList.mockResolvedValue(null);
      await expect(service.update(user, 'l1', 'i9', { checked: true })).rejects.toBeInstanceOf(NotFoundException);
      expect(items.lockInList).toHaveBeenCalledWith('l1', 'i9');
      expect(gateway.emit).not.toHaveBeenCalled();
    });

    it('should answer 412 with the current item when If-Match names an old version, and change nothing', async () => {
      items.lockInList.mockResolvedValue(entity({ version: 4 }));
      await expect(service.update(user, 'l1', 'i1', { name: 'Oat milk' }, '"3"')).rejects.toMatchObject({
        statusCode: 412,
        extra: { current: { ...milkResponse, version: 4 } },
      });
      expect(items.save).not.toHaveBeenCalled();
      expect(gateway.emit).not.toHaveBeenCalled();
    });
  });

  describe('remove', () => {
    it('should emit item:removed with the id after the delete, inside its unit of work', async () => {
      items.remove.mockResolvedValue(true);
      await service.remove(user, 'l1', 'i1');
      expect(gateway.emit).toHaveBeenCalledWith('l1', 'item:removed', { id: 'i1' }, user);
      const [remove, emit] = callOrder(items.remove, gateway.emit);
      expect(remove).toBeLessThan(emit);
      expect(emittedInTransaction).toEqual([true]);
    });

    it('should answer 404 and emit nothing when the item is not on the list', async () => {
      items.remove.mockResolvedValue(false);
      await expect(service.remove(user, 'l1', 'i1')).rejects.toBeInstanceOf(NotFoundException);
      expect(gateway.emit).not.toHaveBeenCalled();
    });
  });
});

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
    beforeEach(() => {
      Object.defineProperty(quotas, 'itemsPerList', { value: 2000 });
      quotas.itemsPerListExceeded.mockReturnValue(
        new QuotaExceeded('itemsPerList', 2000, 'This list already has 2000 items, the most a list can hold.'),
      );
    });

    it('should add through the one statement (membership, quota, row and event) and answer the item', async () => {
      items.add.mockResolvedValue({ kind: 'added', item: entity() });
      await expect(service.add(user, 'l1', { name: 'Milk', id: 'I1' })).resolves.toEqual(milkResponse);
      expect(items.add).toHaveBeenCalledWith(
        'l1',
        { userId: 'u1', sessionId: 's1' },
        { name: 'Milk', quantity: 1, unit: '×', note: null, category: null },
        2000,
        'i1',
      );
      // The statement appends item:added itself (no second round trip through the gateway).
      expect(gateway.emit).not.toHaveBeenCalled();
      expect(access.requireMember).not.toHaveBeenCalled();
    });

    it('should answer the existing item for a retried add', async () => {
      items.add.mockResolvedValue({ kind: 'existing', item: entity({ name: 'Milk' }) });
      await expect(service.add(user, 'l1', { name: 'Milk', id: 'i1' })).resolves.toEqual(milkResponse);
    });

    it('should answer 404 "List not found." to a non-member', async () => {
      items.add.mockResolvedValue({ kind: 'not-member' });
      const refusal = service.add(user, 'l1', { name: 'Milk' });
      await expect(refusal).rejects.toBeInstanceOf(NotFoundException);
      await expect(refusal).rejects.toThrow('List not found.');
    });

    it('should answer 409 for an id used on another list', async () => {
      items.add.mockResolvedValue({ kind: 'id-taken' });
      await expect(service.add(user, 'l1', { name: 'Milk', id: 'i1' })).rejects.toMatchObject({
        status: 409,
        message: 'That item id is already in use.',
      });
    });

    it("should answer the item quota's 409 when the list is full", async () => {
      items.add.mockResolvedValue({ kind: 'over-quota' });
      await expect(service.add(user, 'l1', { name: 'Milk' })).rejects.toMatchObject({
        statusCode: 409,
        quota: 'itemsPerList',
        limit: 2000,
      });
    });

    it('should pass a failed write on', async () => {
      items.add.mockRejectedValue(new Error('connection lost'));
      await expect(service.add(user, 'l1', { name: 'Milk' })).rejects.toThrow('connection lost');
    });

    it('should default quantity to 1 and unit to × (also for an empty unit), and empty note and category to null', async () => {
      items.add.mockResolvedValue({ kind: 'added', item: entity() });
      await service.add(user, 'l1', { name: 'Milk', unit: '', note: '', category: '' });
      expect(items.add.mock.calls[0][2]).toEqual({ name: 'Milk', quantity: 1, unit: '×', note: null, category: null });
      await service.add(user, 'l1', { name: 'Eggs', quantity: 6, unit: 'pcs', note: 'free range', category: 'Dairy' });
      expect(items.add.mock.calls[1][2]).toEqual({
        name: 'Eggs',
        quantity: 6,
        unit: 'pcs',
        note: 'free range',
        category: 'Dairy',
      });
    });
  });

  describe('update', () => {
    /** Whether each write (with its event) happened inside the unit of work. */
    let savedInTransaction: boolean[];

    beforeEach(() => {
      savedInTransaction = [];
      items.saveLogged.mockImplementation((item) => {
        savedInTransaction.push(unit.inTransaction());
        return Promise.resolve(item);
      });
    });

    it('should record who checked and when (the Clock), bump the version and write it with its event, inside the unit of work', async () => {
      items.lockForMember.mockResolvedValue(entity());
      const item = await service.update(user, 'l1', 'i1', { checked: true });
      expect(item).toMatchObject({ checked: true, checkedBy: 'u1', checkedAt: NOW.toISOString(), version: 2 });
      expect(items.lockForMember).toHaveBeenCalledWith('l1', 'i1', 'u1');
      expect(items.saveLogged).toHaveBeenCalledWith(expect.objectContaining({ id: 'i1', version: 2 }), {
        userId: 'u1',
        sessionId: 's1',
      });
      expect(savedInTransaction).toEqual([true]);
      expect(gateway.emit).not.toHaveBeenCalled();
    });

    it('should clear who and when on uncheck', async () => {
      items.lockForMember.mockResolvedValue(entity({ checked: true, checkedBy: 'u2', checkedAt: NOW, version: 3 }));
      await expect(service.update(user, 'l1', 'i1', { checked: false })).resolves.toMatchObject({
        checked: false,
        checkedBy: null,
        checkedAt: null,
        version: 4,
      });
    });

    it('should write nothing when nothing changes', async () => {
      items.lockForMember.mockResolvedValue(entity());
      await expect(service.update(user, 'l1', 'i1', { name: 'Milk', checked: false })).resolves.toEqual(milkResponse);
      expect(items.saveLogged).not.toHaveBeenCalled();
    });

    it('should pass a failed write on', async () => {
      items.lockForMember.mockResolvedValue(entity());
      items.saveLogged.mockRejectedValue(new Error('deadlock'));
      await expect(service.update(user, 'l1', 'i1', { name: 'Oat milk' })).rejects.toThrow('deadlock');
    });

    it('should answer 404 "List not found." to a non-member', async () => {
      items.lockForMember.mockResolvedValue('not-member');
      const refusal = service.update(user, 'l1', 'i1', { checked: true });
      await expect(refusal).rejects.toBeInstanceOf(NotFoundException);
      await expect(refusal).rejects.toThrow('List not found.');
      expect(items.saveLogged).not.toHaveBeenCalled();
    });

    it('should answer 404 "Item not found." when the item is not on that list', async () => {
      items.lockForMember.mockResolvedValue(null);
      await expect(service.update(user, 'l1', 'i9', { checked: true })).rejects.toThrow('Item not found.');
      expect(items.lockForMember).toHaveBeenCalledWith('l1', 'i9', 'u1');
      expect(items.saveLogged).not.toHaveBeenCalled();
    });

    it('should answer 412 with the current item when If-Match names an old version, and change nothing', async () => {
      items.lockForMember.mockResolvedValue(entity({ version: 4 }));
      await expect(service.update(user, 'l1', 'i1', { name: 'Oat milk' }, '"3"')).rejects.toMatchObject({
        statusCode: 412,
        extra: { current: { ...milkResponse, version: 4 } },
      });
      expect(items.saveLogged).not.toHaveBeenCalled();
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

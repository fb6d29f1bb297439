import { NotFoundException } from '@nestjs/common';
import { ListAccess } from '../lists/list-access.service';
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

describe('ItemsService', () => {
  let items: jest.Mocked<Pick<ItemsRepository, 'add' | 'update' | 'remove'>>;
  let access: jest.Mocked<Pick<ListAccess, 'requireMember'>>;
  let service: ItemsService;

  beforeEach(() => {
    items = { add: jest.fn(), update: jest.fn(), remove: jest.fn() };
    access = { requireMember: jest.fn().mockResolvedValue('member') };
    service = new ItemsService(items as unknown as ItemsRepository, access as unknown as ListAccess);
  });

  it('should check membership before writing and not write for a non-member', async () => {
    access.requireMember.mockRejectedValue(new NotFoundException('List not found.'));
    await expect(service.add(user, 'l1', { name: 'Milk' })).rejects.toBeInstanceOf(NotFoundException);
    expect(items.add).not.toHaveBeenCalled();
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

  it('should answer 404 when the item is not on that list', async () => {
    items.update.mockResolvedValue(null);
    await expect(service.update(user, 'l1', 'i9', { checked: true })).rejects.toBeInstanceOf(NotFoundException);
    expect(items.update).toHaveBeenCalledWith('l1', 'i9', { checked: true }, 'u1', undefined);
  });

  it('should map the entity to the wire shape with ISO times and nulls', async () => {
    items.update.mockResolvedValue({
      kind: 'updated',
      item: entity({ checked: true, checkedBy: 'u1', checkedAt: new Date('2026-01-02T00:00:00Z') }),
    });
    const item = await service.update(user, 'l1', 'i1', { checked: true });
    expect(item).toMatchObject({ checked: true, checkedBy: 'u1', checkedAt: '2026-01-02T00:00:00.000Z', note: null });
  });

  it('should answer 412 with the current item when If-Match names an old version', async () => {
    items.update.mockResolvedValue({ kind: 'stale', item: entity({ version: 4 }) });
    await expect(service.update(user, 'l1', 'i1', { name: 'Oat milk' }, '"3"')).rejects.toMatchObject({
      statusCode: 412,
      extra: { current: expect.objectContaining({ id: 'i1', version: 4 }) },
    });
    expect(items.update).toHaveBeenCalledWith('l1', 'i1', { name: 'Oat milk' }, 'u1', 3);
  });

  it('should answer 404 when deleting an item that is not on the list', async () => {
    items.remove.mockResolvedValue(false);
    await expect(service.remove(user, 'l1', 'i1')).rejects.toBeInstanceOf(NotFoundException);
  });
});

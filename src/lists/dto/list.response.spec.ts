import { ListEntity } from '../list.entity';
import type { ListView } from '../lists.repository';
import { listViewJson } from './list.response';

describe('listViewJson', () => {
  const list = Object.assign(new ListEntity(), {
    id: '0b9a4c1e-5d2f-4e8a-9c3b-7f6e5d4c3b2a',
    name: 'Weekly "big" shop',
    inviteCode: 'KTR-4PW',
    inviteExpiresAt: new Date('2026-12-10T08:00:00.000Z'),
    createdAt: new Date('2026-12-01T09:30:15.250Z'),
    seq: '42',
    version: 3,
  });
  // As PostgreSQL writes json (a space around ':' in json_build_object, after ',' in json_agg).
  const membersJson = '[{"id" : "u1", "name" : "Olga", "email" : "olga@example.com", "role" : "owner"}]';
  const itemsJson = '[{"id" : "i1", "name" : "Milk"}, \n {"id" : "i2", "name" : "Eggs"}]';
  const view: ListView = { list, role: 'owner', membersJson, itemsJson };

  it('should splice the members and items as PostgreSQL wrote them, in the response order of fields', () => {
    expect(listViewJson(view)).toBe(
      '{"id":"0b9a4c1e-5d2f-4e8a-9c3b-7f6e5d4c3b2a","name":"Weekly \\"big\\" shop","inviteCode":"KTR-4PW",' +
        '"inviteCodeExpiresAt":"2026-12-10T08:00:00.000Z",' +
        `"members":${membersJson},"items":${itemsJson},` +
        '"createdAt":"2026-12-01T09:30:15.250Z","role":"owner","seq":42,"version":3}',
    );
  });

  it('should write the items given (a walking order) instead of the stored text', () => {
    const body = JSON.parse(listViewJson(view, [{ id: 'i2', name: 'Eggs' }] as never)) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual([
      'id',
      'name',
      'inviteCode',
      'inviteCodeExpiresAt',
      'members',
      'items',
      'createdAt',
      'role',
      'seq',
      'version',
    ]);
    expect(body.items).toEqual([{ id: 'i2', name: 'Eggs' }]);
    expect(body.members).toEqual([{ id: 'u1', name: 'Olga', email: 'olga@example.com', role: 'owner' }]);
  });
});

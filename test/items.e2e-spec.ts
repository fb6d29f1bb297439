import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { useTestApp } from './support/app';
import { expectHiddenList, expectInvalid, expectInvalidExactly, ISO, UUID, withoutRequestId } from './support/expect';
import { expectErrorBody, Registered, registerUser } from './support/factories';
import { addItem, itemsOf, ownerAndMember } from './support/lists';

/** Item fields as a client may send them: any printable text, up to 3 decimal places. */
const fieldText = fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }).filter((v) => v.trim() !== '');
const itemFields = {
  name: fieldText,
  quantity: fc.integer({ min: 1, max: 9_999_999 }).map((n) => n / 1000),
  unit: fieldText,
  note: fc.oneof(fieldText, fc.constant('')),
  category: fc.oneof(fieldText, fc.constant('')),
};

describe('items', () => {
  const t = useTestApp();

  const patch = (u: Registered, listId: string, itemId: string, body: unknown) =>
    t.http
      .patch(`/lists/${listId}/items/${itemId}`)
      .set(u.auth)
      .send(body as object);

  describe('POST /lists/:listId/items', () => {
    it('should log item:added with exactly the item the POST answered (PostgreSQL builds that payload)', async () => {
      const u = await registerUser(t);
      await fc.assert(
        fc.asyncProperty(fc.record(itemFields, { requiredKeys: ['name'] }), async (body) => {
          const added = await t.http.post(`/lists/${u.listId}/items`).set(u.auth).send(body).expect(201);
          const [event]: { type: string; payload: unknown; actor_id: string }[] = await t.dataSource.query(
            `SELECT type, payload, actor_id FROM list_events WHERE list_id = $1 ORDER BY seq DESC LIMIT 1`,
            [u.listId],
          );
          expect(event).toEqual({ type: 'item:added', payload: added.body, actor_id: u.userId });
        }),
        {
          numRuns: 40,
          examples: [[{ name: 'Oat Milk', quantity: 0.125, unit: 'L', note: 'Lactose FREE', category: 'Dairy' }]],
        },
      );
      // Timestamps keep the row's microseconds out, as Date does (truncated to milliseconds).
      const [row]: { created: string }[] = await t.dataSource.query(
        `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS created FROM items
          WHERE list_id = $1 ORDER BY created_at DESC LIMIT 1`,
        [u.listId],
      );
      const latest = await t.http.get(`/lists/${u.listId}`).set(u.auth).expect(200);
      expect(latest.body.items.at(-1).createdAt).toBe(`${row.created.slice(0, 23)}Z`);
    });

    it('should add the item and return it in the Item shape', async () => {
      const u = await registerUser(t);

      const res = await t.http
        .post(`/lists/${u.listId}/items`)
        .set(u.auth)
        .send({ name: 'Milk', quantity: 2, unit: 'l', note: 'lactose free', category: 'Dairy' })
        .expect(201);

      expect(res.body).toEqual({
        id: expect.stringMatching(UUID),
        listId: u.listId,
        name: 'Milk',
        quantity: 2,
        unit: 'l',
        checked: false,
        checkedBy: null,
        checkedAt: null,
        addedBy: u.userId,
        createdAt: expect.stringMatching(ISO),
        updatedAt: expect.stringMatching(ISO),
        version: 1,
        note: 'lactose free',
        category: 'Dairy',
      });
      expect(await itemsOf(t, u, u.listId)).toEqual([res.body]);
    });

    it('should default quantity to 1 and unit to "×"', async () => {
      const u = await registerUser(t);
      const item = await addItem(t, u, u.listId, { name: 'Bread' });
      expect(item).toMatchObject({ quantity: 1, unit: '×', note: null, category: null });
    });

    it('should trim every string', async () => {
      const u = await registerUser(t);
      const item = await addItem(t, u, u.listId, {
        name: '  Eggs ',
        unit: ' pcs ',
        note: ' free range ',
        category: ' Dairy ',
      });
      expect(item).toMatchObject({ name: 'Eggs', unit: 'pcs', note: 'free range', category: 'Dairy' });
    });

    it('should accept a fractional quantity and the longest allowed name and unit', async () => {
      const u = await registerUser(t);
      const item = await addItem(t, u, u.listId, {
        name: ` ${'n'.repeat(200)} `,
        quantity: 0.5,
        unit: ` ${'u'.repeat(32)} `,
      });
      expect(item).toMatchObject({ name: 'n'.repeat(200), quantity: 0.5, unit: 'u'.repeat(32) });
    });

    it('should let a member who joined by invite code add items that every member sees', async () => {
      const { owner, member, listId } = await ownerAndMember(t);

      const item = await addItem(t, member, listId, { name: 'Apples', quantity: 6 });

      expect(item).toMatchObject({ listId, name: 'Apples', quantity: 6, addedBy: member.userId });
      expect(await itemsOf(t, owner, listId)).toEqual([item]);
      expect(await itemsOf(t, member, listId)).toEqual([item]);
    });

    it.each([
      ['name', 'missing', { quantity: 1 }],
      ['name', 'empty', { name: '' }],
      ['name', 'whitespace only', { name: '   ' }],
      ['name', 'over 200 characters', { name: 'n'.repeat(201) }],
      ['name', 'not a string', { name: 42 }],
      ['name', 'null', { name: null }],
      ['quantity', 'zero', { name: 'Milk', quantity: 0 }],
      ['quantity', 'negative', { name: 'Milk', quantity: -1 }],
      ['quantity', 'a string', { name: 'Milk', quantity: '2' }],
      ['quantity', 'the string "NaN"', { name: 'Milk', quantity: 'NaN' }],
      ['quantity', 'a boolean', { name: 'Milk', quantity: true }],
      ['unit', 'over 32 characters', { name: 'Milk', unit: 'u'.repeat(33) }],
      ['unit', 'not a string', { name: 'Milk', unit: 5 }],
      ['note', 'over 500 characters', { name: 'Milk', note: 'x'.repeat(501) }],
      ['category', 'over 50 characters', { name: 'Milk', category: 'x'.repeat(51) }],
    ])('should reject a %s that is %s with 400 naming the field', async (field, _label, body) => {
      const u = await registerUser(t);
      const res = await t.http.post(`/lists/${u.listId}/items`).set(u.auth).send(body);
      expectInvalid(res, field);
      expect(await itemsOf(t, u, u.listId)).toEqual([]);
    });

    it('should reject an infinite quantity with 400 naming the field', async () => {
      const u = await registerUser(t);
      const res = await t.http
        .post(`/lists/${u.listId}/items`)
        .set(u.auth)
        .set('Content-Type', 'application/json')
        .send('{"name":"Milk","quantity":1e999}');
      expectInvalid(res, 'quantity');
      expect(await itemsOf(t, u, u.listId)).toEqual([]);
    });

    // Found by fuzzing: class-validator's decimal-places check read `1e-7` as text and threw (500).
    it.each([
      ['1e-7', 1e-7],
      ['1.5e-7', 1.5e-7],
      ['5e-324', 5e-324],
      ['1.0005', 1.0005],
    ])(
      'should reject the quantity %s (more than 3 decimal places) with 400 naming the field',
      async (_label, quantity) => {
        const u = await registerUser(t);
        for (const send of [
          () => t.http.post(`/lists/${u.listId}/items`).set(u.auth).send({ name: 'Milk', quantity }),
          async () => {
            const item = await addItem(t, u, u.listId, { name: 'Eggs' });
            return t.http.patch(`/lists/${u.listId}/items/${item.id}`).set(u.auth).send({ quantity });
          },
        ]) {
          const res = await send();
          expectInvalidExactly(res, ['quantity']);
          expect(res.body.details).toEqual([{ field: 'quantity', problem: 'must have at most 3 decimal places' }]);
        }
        expect((await itemsOf(t, u, u.listId)).map((i) => [i.name, i.quantity])).toEqual([['Eggs', 1]]);
      },
    );

    it('should accept a quantity with exactly 3 decimal places, written with an exponent or not', async () => {
      const u = await registerUser(t);
      expect((await addItem(t, u, u.listId, { name: 'Saffron', quantity: 0.001 })).quantity).toBe(0.001);
      const res = await t.http
        .post(`/lists/${u.listId}/items`)
        .set(u.auth)
        .set('Content-Type', 'application/json')
        .send('{"name":"Yeast","quantity":1.25e-1}')
        .expect(201);
      expect(res.body.quantity).toBe(0.125);
    });

    it.each([
      ['an unknown property', { name: 'Milk', brand: 'Acme' }, 'brand'],
      ['checked', { name: 'Milk', checked: true }, 'checked'],
      ['checkedBy', { name: 'Milk', checkedBy: randomUUID() }, 'checkedBy'],
      ['addedBy', { name: 'Milk', addedBy: randomUUID() }, 'addedBy'],
      ['version', { name: 'Milk', version: 7 }, 'version'],
    ])('should reject %s in the body with 400', async (_label, body, field) => {
      const u = await registerUser(t);
      expectInvalid(await t.http.post(`/lists/${u.listId}/items`).set(u.auth).send(body), field);
      expect(await itemsOf(t, u, u.listId)).toEqual([]);
    });

    it('should answer 404 for a list the caller is not a member of, exactly as for a missing list', async () => {
      const owner = await registerUser(t);
      await expectHiddenList(
        t,
        (u, id) => t.http.post(`/lists/${id}/items`).set(u.auth).send({ name: 'Milk' }),
        owner.listId,
      );
      expect(await itemsOf(t, owner, owner.listId)).toEqual([]);
    });

    it('should answer 400 naming the list id when it is not a UUID', async () => {
      const u = await registerUser(t);
      expectInvalid(await t.http.post('/lists/not-a-uuid/items').set(u.auth).send({ name: 'Milk' }), 'listId');
    });

    it('should require authentication', async () => {
      const u = await registerUser(t);
      const res = await t.http.post(`/lists/${u.listId}/items`).send({ name: 'Milk' }).expect(401);
      expectErrorBody(res.body, 401);
      expect(await itemsOf(t, u, u.listId)).toEqual([]);
    });
  });

  describe('PATCH /lists/:listId/items/:itemId', () => {
    it('should log item:updated with exactly the item the PATCH answered (PostgreSQL builds that payload)', async () => {
      const u = await registerUser(t);
      const added = await t.http.post(`/lists/${u.listId}/items`).set(u.auth).send({ name: 'Milk' }).expect(201);
      await fc.assert(
        fc.asyncProperty(fc.record({ ...itemFields, checked: fc.boolean() }, { requiredKeys: [] }), async (body) => {
          const [before]: { seq: string; version: number }[] = await t.dataSource.query(
            `SELECT l.seq, i.version FROM lists l JOIN items i ON i.list_id = l.id WHERE i.id = $1`,
            [added.body.id],
          );
          const patched = await patch(u, u.listId, added.body.id as string, body).expect(200);
          const events: { type: string; payload: unknown; actor_id: string }[] = await t.dataSource.query(
            `SELECT type, payload, actor_id FROM list_events WHERE list_id = $1 AND seq > $2 ORDER BY seq`,
            [u.listId, before.seq],
          );
          // One event for a change, none for a patch that changed nothing.
          expect(events).toEqual(
            patched.body.version === before.version + 1
              ? [{ type: 'item:updated', payload: patched.body, actor_id: u.userId }]
              : [],
          );
          expect(patched.body.version).toBeGreaterThanOrEqual(before.version);
        }),
        {
          numRuns: 40,
          examples: [
            [{ name: 'Oat Milk', quantity: 1.5, unit: 'L', note: 'Lactose FREE', category: 'Dairy', checked: true }],
          ],
        },
      );
    });

    it('should change the given fields, trimmed, keep the others and bump the version once', async () => {
      const u = await registerUser(t);
      const item = await addItem(t, u, u.listId, { name: 'Milk', quantity: 1, unit: 'l', note: 'any' });

      const res = await patch(u, u.listId, item.id, { name: ' Oat milk ', quantity: 2.5, category: ' Dairy ' }).expect(
        200,
      );

      expect(res.body).toEqual({
        ...item,
        name: 'Oat milk',
        quantity: 2.5,
        category: 'Dairy',
        version: 2,
        updatedAt: expect.stringMatching(ISO),
      });
      expect(await itemsOf(t, u, u.listId)).toEqual([res.body]);
    });

    it("should record the caller and the server's time when an item is checked", async () => {
      const { owner, member, listId } = await ownerAndMember(t);
      const item = await addItem(t, owner, listId);

      const before = Date.now();
      const res = await patch(member, listId, item.id, { checked: true }).expect(200);
      const after = Date.now();

      expect(res.body).toMatchObject({
        checked: true,
        checkedBy: member.userId,
        checkedAt: expect.stringMatching(ISO),
      });
      const checkedAt = Date.parse(res.body.checkedAt);
      expect(checkedAt).toBeGreaterThanOrEqual(before);
      expect(checkedAt).toBeLessThanOrEqual(after);
      expect(await itemsOf(t, owner, listId)).toEqual([
        expect.objectContaining({
          id: item.id,
          checked: true,
          checkedBy: member.userId,
          checkedAt: res.body.checkedAt,
        }),
      ]);
    });

    it('should clear checkedBy and checkedAt when an item is unchecked', async () => {
      const u = await registerUser(t);
      const item = await addItem(t, u, u.listId);
      await patch(u, u.listId, item.id, { checked: true }).expect(200);

      const res = await patch(u, u.listId, item.id, { checked: false }).expect(200);

      expect(res.body).toMatchObject({ checked: false, checkedBy: null, checkedAt: null, version: 3 });
      expect(await itemsOf(t, u, u.listId)).toEqual([
        expect.objectContaining({ checked: false, checkedBy: null, checkedAt: null }),
      ]);
    });

    it('should keep the first checker and time when an already checked item is checked again', async () => {
      const { owner, member, listId } = await ownerAndMember(t);
      const item = await addItem(t, owner, listId);
      const first = await patch(owner, listId, item.id, { checked: true }).expect(200);

      const again = await patch(member, listId, item.id, { checked: true }).expect(200);

      expect(again.body).toEqual(first.body);
      expect(again.body.checkedBy).toBe(owner.userId);
    });

    it.each([
      ['name', { name: 'Bread' }],
      ['quantity', { quantity: 3 }],
      ['unit', { unit: 'kg' }],
      ['checked', { checked: true }],
      ['note', { note: 'wholegrain' }],
      ['category', { category: 'Bakery' }],
    ])('should increase the version when %s changes', async (_field, change) => {
      const u = await registerUser(t);
      const item = await addItem(t, u, u.listId, { name: 'Milk' });

      const res = await patch(u, u.listId, item.id, change).expect(200);

      expect(res.body).toMatchObject({ ...change, version: item.version + 1 });
      const twice = await patch(u, u.listId, item.id, { name: 'Something else' }).expect(200);
      expect(twice.body.version).toBe(item.version + 2);
    });

    it.each([
      ['the same values', { name: 'Milk', quantity: 2, unit: 'l', checked: false, note: 'x', category: 'Dairy' }],
      ['the same name padded with spaces', { name: '  Milk  ' }],
      ['an empty body', {}],
    ])('should leave the version and updatedAt alone on a no-op patch with %s', async (_label, body) => {
      const u = await registerUser(t);
      const item = await addItem(t, u, u.listId, {
        name: 'Milk',
        quantity: 2,
        unit: 'l',
        note: 'x',
        category: 'Dairy',
      });

      const res = await patch(u, u.listId, item.id, body).expect(200);

      expect(res.body).toEqual(item);
      expect(await itemsOf(t, u, u.listId)).toEqual([item]);
    });

    it.each([
      ['name', 'empty', { name: '' }],
      ['name', 'whitespace only', { name: '   ' }],
      ['name', 'over 200 characters', { name: 'n'.repeat(201) }],
      ['name', 'null', { name: null }],
      ['quantity', 'zero', { quantity: 0 }],
      ['quantity', 'negative', { quantity: -0.5 }],
      ['quantity', 'a string', { quantity: '3' }],
      ['quantity', 'the string "NaN"', { quantity: 'NaN' }],
      ['quantity', 'null', { quantity: null }],
      ['unit', 'over 32 characters', { unit: 'u'.repeat(33) }],
      ['checked', 'a string', { checked: 'yes' }],
      ['checked', 'null', { checked: null }],
      ['note', 'over 500 characters', { note: 'x'.repeat(501) }],
      ['category', 'over 50 characters', { category: 'x'.repeat(51) }],
    ])('should reject a %s that is %s with 400 naming the field and change nothing', async (field, _label, body) => {
      const u = await registerUser(t);
      const item = await addItem(t, u, u.listId);

      expectInvalid(await patch(u, u.listId, item.id, body), field);

      expect(await itemsOf(t, u, u.listId)).toEqual([item]);
    });

    it.each([
      ['an unknown property', { brand: 'Acme' }, 'brand'],
      ['checkedBy', { checked: true, checkedBy: randomUUID() }, 'checkedBy'],
      ['checkedAt', { checked: true, checkedAt: '2000-01-01T00:00:00.000Z' }, 'checkedAt'],
      ['listId', { listId: randomUUID() }, 'listId'],
      ['version', { version: 99 }, 'version'],
    ])('should reject %s in the body with 400 and change nothing', async (_label, body, field) => {
      const u = await registerUser(t);
      const item = await addItem(t, u, u.listId);
      expectInvalid(await patch(u, u.listId, item.id, body), field);
      expect(await itemsOf(t, u, u.listId)).toEqual([item]);
    });

    it("should answer 404 for an item of another of the caller's lists addressed through this list's URL", async () => {
      const u = await registerUser(t);
      const other = (await t.http.post('/lists').set(u.auth).send({ name: 'Other' }).expect(201)).body.id as string;
      const item = await addItem(t, u, u.listId);

      const res = await patch(u, other, item.id, { checked: true }).expect(404);

      expectErrorBody(res.body, 404);
      const missing = await patch(u, other, randomUUID(), { checked: true }).expect(404);
      expect(withoutRequestId(res.body)).toEqual(withoutRequestId(missing.body));
      expect(await itemsOf(t, u, u.listId)).toEqual([item]);
    });

    it('should answer 404 for a list the caller is not a member of, exactly as for a missing list', async () => {
      const owner = await registerUser(t);
      const item = await addItem(t, owner, owner.listId);
      await expectHiddenList(t, (u, id) => patch(u, id, item.id, { name: 'Hacked' }), owner.listId);
      expect(await itemsOf(t, owner, owner.listId)).toEqual([item]);
    });

    it('should answer 400 naming the path parameter that is not a UUID', async () => {
      const u = await registerUser(t);
      const item = await addItem(t, u, u.listId);
      expectInvalid(await patch(u, u.listId, 'not-a-uuid', { checked: true }), 'itemId');
      expectInvalid(await patch(u, 'not-a-uuid', item.id, { checked: true }), 'listId');
    });

    it('should require authentication', async () => {
      const u = await registerUser(t);
      const item = await addItem(t, u, u.listId);
      const res = await t.http.patch(`/lists/${u.listId}/items/${item.id}`).send({ checked: true }).expect(401);
      expectErrorBody(res.body, 401);
      expect(await itemsOf(t, u, u.listId)).toEqual([item]);
    });
  });

  describe('DELETE /lists/:listId/items/:itemId', () => {
    it('should remove the item with 204 and an empty body', async () => {
      const u = await registerUser(t);
      const milk = await addItem(t, u, u.listId, { name: 'Milk' });
      const bread = await addItem(t, u, u.listId, { name: 'Bread' });

      const res = await t.http.delete(`/lists/${u.listId}/items/${milk.id}`).set(u.auth).expect(204);

      expect(res.text).toBe('');
      expect(await itemsOf(t, u, u.listId)).toEqual([bread]);
      const again = await t.http.delete(`/lists/${u.listId}/items/${milk.id}`).set(u.auth).expect(404);
      expectErrorBody(again.body, 404);
    });

    it('should let a member who joined by invite code remove an item another member added', async () => {
      const { owner, member, listId } = await ownerAndMember(t);
      const item = await addItem(t, owner, listId);
      await t.http.delete(`/lists/${listId}/items/${item.id}`).set(member.auth).expect(204);
      expect(await itemsOf(t, owner, listId)).toEqual([]);
    });

    it("should answer 404 for an item of another of the caller's lists addressed through this list's URL", async () => {
      const u = await registerUser(t);
      const other = (await t.http.post('/lists').set(u.auth).send({ name: 'Other' }).expect(201)).body.id as string;
      const item = await addItem(t, u, u.listId);

      const res = await t.http.delete(`/lists/${other}/items/${item.id}`).set(u.auth).expect(404);

      expectErrorBody(res.body, 404);
      expect(await itemsOf(t, u, u.listId)).toEqual([item]);
    });

    it('should answer 404 for a list the caller is not a member of, exactly as for a missing list', async () => {
      const owner = await registerUser(t);
      const item = await addItem(t, owner, owner.listId);
      await expectHiddenList(t, (u, id) => t.http.delete(`/lists/${id}/items/${item.id}`).set(u.auth), owner.listId);
      expect(await itemsOf(t, owner, owner.listId)).toEqual([item]);
    });

    it('should answer 400 naming the path parameter that is not a UUID', async () => {
      const u = await registerUser(t);
      const item = await addItem(t, u, u.listId);
      expectInvalid(await t.http.delete(`/lists/${u.listId}/items/42`).set(u.auth), 'itemId');
      expectInvalid(await t.http.delete(`/lists/42/items/${item.id}`).set(u.auth), 'listId');
    });

    it('should require authentication', async () => {
      const u = await registerUser(t);
      const item = await addItem(t, u, u.listId);
      const res = await t.http.delete(`/lists/${u.listId}/items/${item.id}`).expect(401);
      expectErrorBody(res.body, 401);
      expect(await itemsOf(t, u, u.listId)).toEqual([item]);
    });
  });
});

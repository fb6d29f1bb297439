import { randomUUID } from 'node:crypto';
import { useTestApp } from './support/app';
import { expectErrorBody, Registered, registerUser } from './support/factories';

describe('safe retries', () => {
  const t = useTestApp();

  async function itemCount(listId: string): Promise<number> {
    const [{ n }]: { n: number }[] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM items WHERE list_id = $1`,
      [listId],
    );
    return n;
  }

  /** POST an item, with an Idempotency-Key when given. */
  function postItem(user: Registered, body: object, key?: string) {
    const request = t.http.post(`/lists/${user.listId}/items`).set(user.auth);
    return (key ? request.set('Idempotency-Key', key) : request).send(body);
  }

  describe('Idempotency-Key', () => {
    it('should create one item for retried POSTs with one key and replay the first answer', async () => {
      const ana = await registerUser(t);
      const key = randomUUID();
      const first = await postItem(ana, { name: 'Milk' }, key).expect(201);
      const retry = await postItem(ana, { name: 'Milk' }, key).expect(201);
      expect(retry.body).toEqual(first.body);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(await itemCount(ana.listId)).toBe(1);
      const list = await t.http.get(`/lists/${ana.listId}`).set(ana.auth).expect(200);
      expect(list.body.seq).toBe(1);
    });

    it('should create one item when the retries race each other', async () => {
      const ana = await registerUser(t);
      const key = randomUUID();
      const answers = await Promise.all(Array.from({ length: 5 }, () => postItem(ana, { name: 'Eggs' }, key)));
      for (const answer of answers) expect([201, 409]).toContain(answer.status);
      expect(answers.filter((a) => a.status === 201).length).toBeGreaterThanOrEqual(1);
      expect(await itemCount(ana.listId)).toBe(1);
    });

    it('should answer 422 for the same key with a different body', async () => {
      const ana = await registerUser(t);
      const key = randomUUID();
      await postItem(ana, { name: 'Milk' }, key).expect(201);
      const res = await postItem(ana, { name: 'Bread' }, key).expect(422);
      expectErrorBody(res.body, 422);
      expect(await itemCount(ana.listId)).toBe(1);
    });

    it('should answer 409 while the first request with the key is still running', async () => {
      const ana = await registerUser(t);
      const key = randomUUID();
      const scope = `user:${ana.userId}`;
      const first = await postItem(ana, { name: 'Milk' }, key).expect(201);
      expect(first.body.name).toBe('Milk');
      await t.dataSource.query(`UPDATE idempotency_keys SET status_code = NULL, response = NULL WHERE scope = $1`, [
        scope,
      ]);
      const running = await postItem(ana, { name: 'Milk' }, key).expect(409);
      expectErrorBody(running.body, 409);
      expect(await itemCount(ana.listId)).toBe(1);
    });

    it('should forget a key after IDEMPOTENCY_TTL_HOURS, so the same key then runs again', async () => {
      const ana = await registerUser(t);
      const key = randomUUID();
      await postItem(ana, { name: 'Milk' }, key).expect(201);
      await t.dataSource.query(`UPDATE idempotency_keys SET created_at = now() - interval '25 hours'`);
      const again = await postItem(ana, { name: 'Milk' }, key).expect(201);
      expect(again.headers['idempotent-replayed']).toBeUndefined();
      expect(await itemCount(ana.listId)).toBe(2);
    });

    it('should scope keys per user', async () => {
      const ana = await registerUser(t);
      const bob = await registerUser(t);
      const key = randomUUID();
      await postItem(ana, { name: 'Milk' }, key).expect(201);
      const other = await postItem(bob, { name: 'Milk' }, key).expect(201);
      expect(other.headers['idempotent-replayed']).toBeUndefined();
      expect(await itemCount(bob.listId)).toBe(1);
    });

    it('should let a failed first attempt be retried with the same key', async () => {
      const ana = await registerUser(t);
      const key = randomUUID();
      await postItem(ana, { name: '' }, key).expect(400);
      await postItem(ana, { name: '' }, key).expect(400);
      expect(await itemCount(ana.listId)).toBe(0);
    });
  });

  describe('client-generated item ids', () => {
    it('should create the item with the client id and return it again when re-added', async () => {
      const ana = await registerUser(t);
      const id = randomUUID();
      const first = await t.http
        .post(`/lists/${ana.listId}/items`)
        .set(ana.auth)
        .send({ id, name: 'Milk' })
        .expect(201);
      expect(first.body.id).toBe(id);
      const again = await t.http
        .post(`/lists/${ana.listId}/items`)
        .set(ana.auth)
        .send({ id, name: 'Milk' })
        .expect(201);
      expect(again.body).toEqual(first.body);
      expect(await itemCount(ana.listId)).toBe(1);
    });

    it('should refuse an id already used on another list with 409', async () => {
      const ana = await registerUser(t);
      const bob = await registerUser(t);
      const id = randomUUID();
      await t.http.post(`/lists/${ana.listId}/items`).set(ana.auth).send({ id, name: 'Milk' }).expect(201);
      const res = await t.http.post(`/lists/${bob.listId}/items`).set(bob.auth).send({ id, name: 'Milk' }).expect(409);
      expectErrorBody(res.body, 409);
    });

    it('should reject a malformed client id with 400', async () => {
      const ana = await registerUser(t);
      const res = await t.http
        .post(`/lists/${ana.listId}/items`)
        .set(ana.auth)
        .send({ id: 'temp-1', name: 'Milk' })
        .expect(400);
      expect(res.body.details).toEqual([{ field: 'id', problem: 'must be a UUID' }]);
    });
  });

  describe('If-Match', () => {
    it('should apply a PATCH whose If-Match is the current version', async () => {
      const ana = await registerUser(t);
      const item = await t.http.post(`/lists/${ana.listId}/items`).set(ana.auth).send({ name: 'Milk' }).expect(201);
      const res = await t.http
        .patch(`/lists/${ana.listId}/items/${item.body.id}`)
        .set(ana.auth)
        .set('If-Match', '"1"')
        .send({ quantity: 2 })
        .expect(200);
      expect(res.body).toMatchObject({ quantity: 2, version: 2 });
    });

    it('should answer 412 with the current item and change nothing when the item moved on', async () => {
      const ana = await registerUser(t);
      const item = await t.http.post(`/lists/${ana.listId}/items`).set(ana.auth).send({ name: 'Milk' }).expect(201);
      await t.http.patch(`/lists/${ana.listId}/items/${item.body.id}`).set(ana.auth).send({ quantity: 3 }).expect(200);
      const res = await t.http
        .patch(`/lists/${ana.listId}/items/${item.body.id}`)
        .set(ana.auth)
        .set('If-Match', '1')
        .send({ quantity: 2 })
        .expect(412);
      expectErrorBody(res.body, 412);
      expect(res.body.current).toMatchObject({ id: item.body.id, quantity: 3, version: 2 });
      const list = await t.http.get(`/lists/${ana.listId}`).set(ana.auth).expect(200);
      expect(list.body.items[0]).toMatchObject({ quantity: 3, version: 2 });
    });

    it('should answer 412 with the current list for a stale list rename', async () => {
      const ana = await registerUser(t);
      await t.http
        .patch(`/lists/${ana.listId}`)
        .set(ana.auth)
        .set('If-Match', '1')
        .send({ name: 'Week 1' })
        .expect(200);
      const res = await t.http
        .patch(`/lists/${ana.listId}`)
        .set(ana.auth)
        .set('If-Match', '1')
        .send({ name: 'Week 2' })
        .expect(412);
      expect(res.body.current).toMatchObject({ name: 'Week 1', version: 2 });
    });

    it('should apply field by field without If-Match (the app sends only what changed)', async () => {
      const ana = await registerUser(t);
      const item = await t.http
        .post(`/lists/${ana.listId}/items`)
        .set(ana.auth)
        .send({ name: 'Milk', unit: 'l' })
        .expect(201);
      await t.http.patch(`/lists/${ana.listId}/items/${item.body.id}`).set(ana.auth).send({ quantity: 4 }).expect(200);
      const res = await t.http
        .patch(`/lists/${ana.listId}/items/${item.body.id}`)
        .set(ana.auth)
        .send({ checked: true })
        .expect(200);
      expect(res.body).toMatchObject({ name: 'Milk', unit: 'l', quantity: 4, checked: true, version: 3 });
    });

    it('should reject a malformed If-Match with 400', async () => {
      const ana = await registerUser(t);
      const item = await t.http.post(`/lists/${ana.listId}/items`).set(ana.auth).send({ name: 'Milk' }).expect(201);
      await t.http
        .patch(`/lists/${ana.listId}/items/${item.body.id}`)
        .set(ana.auth)
        .set('If-Match', 'abc')
        .send({ quantity: 2 })
        .expect(400);
    });
  });
});

import { randomUUID } from 'node:crypto';
import { IdempotencyRepository } from '../src/common/idempotency/idempotency.repository';
import { ItemsRepository } from '../src/items/items.repository';
import { useTestApp } from './support/app';
import { ownerAndMember } from './support/lists';
import { setNow } from './support/clock';
import { expectErrorBody, Registered, registerUser } from './support/factories';

/** IDEMPOTENCY_LEASE_SEC's default: how long a claimed key waits for its request's outcome. */
const LEASE_MS = 30_000;

/** What node-postgres throws when the connection under a query went away. */
function connectionLost(): Error {
  return new Error('Connection terminated unexpectedly');
}

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
      await t.dataSource.query(
        `UPDATE idempotency_keys SET status_code = NULL, response_sealed = NULL WHERE scope = $1`,
        [scope],
      );
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

    it('should not replay a list-scoped answer to a caller who is no longer a member: 404 like any outsider', async () => {
      const { owner, member, listId } = await ownerAndMember(t);
      const key = randomUUID();
      const post = () =>
        t.http.post(`/lists/${listId}/items`).set(member.auth).set('Idempotency-Key', key).send({ name: 'Milk' });
      await post().expect(201);
      await t.http.delete(`/lists/${listId}/members/${member.userId}`).set(owner.auth).expect(204);
      const replayed = await post().expect(404);
      expect(replayed.headers['idempotent-replayed']).toBeUndefined();
      expectErrorBody(replayed.body, 404);
      expect(replayed.body.message).toBe('List not found.');
      const otherBody = await t.http
        .post(`/lists/${listId}/items`)
        .set(member.auth)
        .set('Idempotency-Key', key)
        .send({ name: 'Eggs' })
        .expect(404);
      expect(otherBody.body.message).toBe('List not found.');
      expect(await itemCount(listId)).toBe(1);
    });

    it('should let a failed first attempt be retried with the same key', async () => {
      const ana = await registerUser(t);
      const key = randomUUID();
      await postItem(ana, { name: '' }, key).expect(400);
      await postItem(ana, { name: '' }, key).expect(400);
      expect(await itemCount(ana.listId)).toBe(0);
    });
  });

  describe('Idempotency-Key when a request fails halfway', () => {
    afterEach(() => jest.restoreAllMocks());

    /**
     * POSTs Milk with the key on an instance that dies after claiming it, as far as the key
     * can tell: the write never commits, and nothing frees the key.
     */
    async function leaveClaimBehind(user: Registered, key: string): Promise<void> {
      jest.spyOn(t.app.get(ItemsRepository), 'add').mockRejectedValueOnce(new Error('the instance died'));
      jest.spyOn(t.app.get(IdempotencyRepository), 'release').mockResolvedValueOnce(undefined);
      await postItem(user, { name: 'Milk' }, key).expect(500);
    }

    /** Moves the server's clock just past the lease of a key claimed now. */
    function afterTheLease() {
      return setNow(t, new Date(Date.now() + LEASE_MS + 1000));
    }

    it('should run a retry once the lease of a claim left behind by an instance that died mid-request has run out', async () => {
      const ana = await registerUser(t);
      const key = randomUUID();
      await leaveClaimBehind(ana, key);
      const meanwhile = await postItem(ana, { name: 'Milk' }, key).expect(409);
      expectErrorBody(meanwhile.body, 409);
      afterTheLease();
      const retry = await postItem(ana, { name: 'Milk' }, key).expect(201);
      expect(retry.headers['idempotent-replayed']).toBeUndefined();
      expect(retry.body).toMatchObject({ name: 'Milk', listId: ana.listId });
      expect(await itemCount(ana.listId)).toBe(1);
      const replay = await postItem(ana, { name: 'Milk' }, key).expect(201);
      expect(replay.body).toEqual(retry.body);
      expect(replay.headers['idempotent-replayed']).toBe('true');
    });

    it('should still refuse another body with 422 once the lease of a key left behind has run out', async () => {
      const ana = await registerUser(t);
      const key = randomUUID();
      await leaveClaimBehind(ana, key);
      afterTheLease();
      const res = await postItem(ana, { name: 'Bread' }, key).expect(422);
      expectErrorBody(res.body, 422);
      expect(await itemCount(ana.listId)).toBe(0);
    });

    it('should not write twice when storing the answer fails after the write', async () => {
      const ana = await registerUser(t);
      const key = randomUUID();
      jest.spyOn(t.app.get(IdempotencyRepository), 'complete').mockRejectedValueOnce(connectionLost());
      const first = await postItem(ana, { name: 'Milk' }, key).expect(503);
      expectErrorBody(first.body, 503);
      const retry = await postItem(ana, { name: 'Milk' }, key).expect(201);
      expect(retry.headers['idempotent-replayed']).toBeUndefined();
      expect(await itemCount(ana.listId)).toBe(1);
      // The first attempt left no trace, not even an event.
      const list = await t.http.get(`/lists/${ana.listId}`).set(ana.auth).expect(200);
      expect(list.body.seq).toBe(1);
      expect(list.body.items.map((item: { id: string }) => item.id)).toEqual([retry.body.id]);
    });

    it('should not let a request that outlived its lease store its answer over the retry that took the key', async () => {
      const ana = await registerUser(t);
      const key = randomUUID();
      const items = t.app.get(ItemsRepository);
      const add = items.add.bind(items);
      let proceed!: () => void;
      const held = new Promise<void>((resolve) => (proceed = resolve));
      const reached = new Promise<void>((resolve) => {
        jest.spyOn(items, 'add').mockImplementationOnce(async (...args) => {
          resolve();
          await held;
          return add(...args);
        });
      });
      const slow = postItem(ana, { name: 'Milk' }, key).then((res) => res);
      await reached;
      afterTheLease();
      const retry = await postItem(ana, { name: 'Milk' }, key)
        .then((res) => res)
        .finally(proceed);
      expect(retry.status).toBe(201);
      const late = await slow;
      expect(late.status).toBe(409);
      expectErrorBody(late.body, 409);
      expect(await itemCount(ana.listId)).toBe(1);
      const replay = await postItem(ana, { name: 'Milk' }, key).expect(201);
      expect(replay.body).toEqual(retry.body);
    });

    it('should still log out when the answer to a logout cannot be stored (a route outside the transaction)', async () => {
      const ana = await registerUser(t);
      jest.spyOn(t.app.get(IdempotencyRepository), 'complete').mockRejectedValueOnce(connectionLost());
      await t.http.post('/auth/logout').set(ana.auth).set('Idempotency-Key', randomUUID()).send({}).expect(204);
      await t.http.get('/auth/me').set(ana.auth).expect(401);
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

import { useTestApp } from './support/app';
import { registerUser } from './support/factories';

describe('smoke', () => {
  const t = useTestApp();

  it('should register, create an item and read the list', async () => {
    const u = await registerUser(t);
    const item = await t.http
      .post(`/lists/${u.listId}/items`)
      .set(u.auth)
      .send({ name: 'Milk', quantity: 2, unit: 'l' })
      .expect(201);
    expect(item.body).toMatchObject({ name: 'Milk', quantity: 2, unit: 'l', checked: false });
    const list = await t.http.get(`/lists/${u.listId}`).set(u.auth).expect(200);
    expect(list.body.items).toHaveLength(1);
  });
});

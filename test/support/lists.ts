import type { TestApp } from './app';
import { Registered, registerUser } from './factories';

/** An item in the contract's Item shape. */
export interface Item {
  id: string;
  listId: string;
  name: string;
  quantity: number;
  unit: string;
  checked: boolean;
  checkedBy: string | null;
  checkedAt: string | null;
  addedBy: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
  note: string | null;
  category: string | null;
}

/** A list in the contract's List shape, as the caller sees it. */
export interface ListBody {
  id: string;
  name: string;
  inviteCode: string;
  inviteCodeExpiresAt: string;
  members: { id: string; name: string; email: string; role: string }[];
  items: Item[];
  createdAt: string;
  seq: number;
  role: string;
  version: number;
}

/** `GET /lists/:listId` as `u` (200 asserted). */
export async function getList(t: TestApp, u: Registered, listId = u.listId): Promise<ListBody> {
  return (await t.http.get(`/lists/${listId}`).set(u.auth).expect(200)).body as ListBody;
}

export async function itemsOf(t: TestApp, u: Registered, listId = u.listId): Promise<Item[]> {
  return (await getList(t, u, listId)).items;
}

/** The list's head sequence number, as `u` reads it. */
export async function seqOf(t: TestApp, u: Registered, listId = u.listId): Promise<number> {
  return (await getList(t, u, listId)).seq;
}

/**
 * Registers an owner and a second user who joined the owner's first list by its invite code.
 * The member registers and joins through `memberApp` (another instance, in cluster tests).
 */
export async function ownerAndMember(
  t: TestApp,
  names: { owner: string; member: string } = { owner: 'Olga', member: 'Max' },
  memberApp: TestApp = t,
): Promise<{ owner: Registered; member: Registered; listId: string }> {
  const owner = await registerUser(t, { name: names.owner });
  const member = await registerUser(memberApp, { name: names.member });
  const { inviteCode } = await getList(t, owner);
  await memberApp.http.post('/lists/join').set(member.auth).send({ inviteCode }).expect(200);
  return { owner, member, listId: owner.listId };
}

/** A second list of the same user: the caller may see it, just not under the first list's id. */
export async function secondList(t: TestApp, u: Registered): Promise<string> {
  return (await t.http.post('/lists').set(u.auth).send({ name: 'Cabin' }).expect(201)).body.id as string;
}

/** `POST /lists/:listId/items` as `u` (201 asserted). */
export async function addItem(
  t: TestApp,
  u: Registered,
  listId: string,
  body: Record<string, unknown> = { name: 'Milk' },
): Promise<Item> {
  return (await t.http.post(`/lists/${listId}/items`).set(u.auth).send(body).expect(201)).body as Item;
}

/** Checks the item off through the API (200 asserted). */
export async function checkItem(t: TestApp, u: Registered, listId: string, itemId: string): Promise<Item> {
  return (await t.http.patch(`/lists/${listId}/items/${itemId}`).set(u.auth).send({ checked: true }).expect(200))
    .body as Item;
}

/** Adds the items (a name, or a whole item body) and checks them off through the API, one after the other. */
export async function buy(
  t: TestApp,
  u: Registered,
  listId: string,
  products: (string | Record<string, unknown>)[],
): Promise<Item[]> {
  const items: Item[] = [];
  for (const product of products) {
    const body = typeof product === 'string' ? { name: product } : product;
    items.push(await checkItem(t, u, listId, (await addItem(t, u, listId, body)).id));
  }
  return items;
}

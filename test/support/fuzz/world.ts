import type { TestApp } from '../app';
import { Registered, registerUser } from '../factories';
import { addItem, checkItem, getList, ownerAndMember } from '../lists';
import { linkParts, photo } from '../receipts';

/** What a list of the world holds: one of each resource, each reachable by id. */
export interface SeededList {
  listId: string;
  inviteCode: string;
  itemId: string;
  itemName: string;
  checkedItemId: string;
  storeId: string;
  storeName: string;
  tripId: string;
  /** The signed link of the trip's receipt, split as the route takes it. */
  receipt: { file: string; expires: string; sig: string };
}

/**
 * The users and resources fuzzed requests aim at: `me` owns a list that `member` joined,
 * `other` owns a list of their own. Every kind of id exists on both lists, so a request can
 * name a real id of the right kind, one of another user's list, or one of another kind.
 */
export interface World {
  me: Registered;
  member: Registered;
  other: Registered;
  mine: SeededList;
  theirs: SeededList;
  sessions: { me: string; member: string; other: string };
  /** A small JPEG, as the app uploads receipts. */
  jpeg: Buffer;
}

/** A value of the world, named where the request is planned and looked up when it is sent (worlds are rebuilt). */
export interface WorldRef {
  $world: string;
  upper?: boolean;
  lower?: boolean;
}

export const ref = (name: string): WorldRef => ({ $world: name });

export function isRef(value: unknown): value is WorldRef {
  return typeof value === 'object' && value !== null && typeof (value as WorldRef).$world === 'string';
}

async function seedList(t: TestApp, owner: Registered, listId: string, jpeg: Buffer): Promise<SeededList> {
  const auth = owner.auth;
  const bought = await checkItem(t, owner, listId, (await addItem(t, owner, listId, { name: 'Coffee' })).id);
  const store = await t.http.post(`/lists/${listId}/stores`).set(auth).send({ name: 'Corner Shop' }).expect(201);
  const trip = await t.http.post(`/lists/${listId}/trips`).set(auth).send({ storeId: store.body.id }).expect(201);
  const withReceipt = await t.http
    .post(`/lists/${listId}/trips/${trip.body.id}/receipt`)
    .set(auth)
    .attach('receipt', jpeg, { filename: 'receipt.jpg', contentType: 'image/jpeg' })
    .expect(200);
  const link = linkParts(withReceipt.body.receiptUrl as string);
  const item = await addItem(t, owner, listId, { name: 'Milk', quantity: 2, unit: 'l' });
  const checked = await checkItem(t, owner, listId, (await addItem(t, owner, listId, { name: 'Bread' })).id);
  const list = await getList(t, owner, listId);
  expect(bought.checked).toBe(true);
  return {
    listId,
    inviteCode: list.inviteCode,
    itemId: item.id,
    itemName: item.name,
    checkedItemId: checked.id,
    storeId: store.body.id as string,
    storeName: store.body.name as string,
    tripId: trip.body.id as string,
    receipt: { file: link.path.split('/').pop()!, expires: link.expires, sig: link.sig },
  };
}

/** The session of the user's token; a token that works must belong to a live session. */
async function currentSession(t: TestApp, u: Registered): Promise<string> {
  const res = await t.http.get('/auth/sessions').set(u.auth).expect(200);
  const current = (res.body as { id: string; current: boolean }[]).find((s) => s.current);
  if (!current) throw new Error(`the token of ${u.email} is accepted, but its session is not among the live ones`);
  return current.id;
}

/** A list of `owner`'s with every kind of resource in it, joined by `member` if given. */
async function newList(t: TestApp, owner: Registered, jpeg: Buffer, member?: Registered): Promise<SeededList> {
  const created = await t.http
    .post('/lists')
    .set(owner.auth)
    .send({ name: `${owner.email.slice(0, 8)}'s` })
    .expect(201);
  const listId = created.body.id as string;
  if (member) {
    await t.http.post('/lists/join').set(member.auth).send({ inviteCode: created.body.inviteCode }).expect(200);
  }
  return seedList(t, owner, listId, jpeg);
}

export async function buildWorld(t: TestApp): Promise<World> {
  const jpeg = await photo('jpeg');
  const { owner: me, member } = await ownerAndMember(t, { owner: 'Mia', member: 'Max' });
  const other = await registerUser(t, { name: 'Otto' });
  const [mine, theirs] = await Promise.all([seedList(t, me, me.listId, jpeg), seedList(t, other, other.listId, jpeg)]);
  const sessions = {
    me: await currentSession(t, me),
    member: await currentSession(t, member),
    other: await currentSession(t, other),
  };
  return { me, member, other, mine, theirs, sessions, jpeg };
}

/** Signs in again when the fuzz ended the user's session (logout, revoked, reused refresh token). */
async function signedIn(t: TestApp, u: Registered): Promise<Registered> {
  if ((await t.http.get('/auth/me').set(u.auth)).status === 200) return u;
  // DELETE /auth/me (with the real password, which the plans use) removed the account: a new one.
  const [exists] = await t.dataSource.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM users WHERE email = $1`, [
    u.email.toLowerCase(),
  ]);
  if (exists.n === 0) return registerUser(t, { email: u.email, password: u.password });
  const res = await t.http.post('/auth/login').send({ email: u.email, password: u.password }).expect(200);
  const body = res.body as { token: string; refreshToken: string };
  return { ...u, token: body.token, refreshToken: body.refreshToken, auth: { Authorization: `Bearer ${body.token}` } };
}

/** Whether the list still has its owner (and member), and each seeded resource in place. */
async function intact(t: TestApp, list: SeededList, owner: Registered, member?: Registered): Promise<boolean> {
  const [row] = await t.dataSource.query<{ intact: boolean }[]>(
    `SELECT EXISTS (SELECT 1 FROM list_members WHERE list_id = $1 AND user_id = $2 AND role = 'owner')
        AND ($3::uuid IS NULL OR EXISTS (SELECT 1 FROM list_members WHERE list_id = $1 AND user_id = $3))
        AND EXISTS (SELECT 1 FROM items WHERE id = $4 AND list_id = $1)
        AND EXISTS (SELECT 1 FROM items WHERE id = $5 AND list_id = $1 AND checked)
        AND EXISTS (SELECT 1 FROM stores WHERE id = $6 AND list_id = $1)
        AND EXISTS (SELECT 1 FROM trips WHERE id = $7 AND list_id = $1) AS intact`,
    [list.listId, owner.userId, member?.userId ?? null, list.itemId, list.checkedItemId, list.storeId, list.tripId],
  );
  return row.intact;
}

/**
 * The world again after a request that may have used it up: users whose session ended sign
 * in again, and a list that lost its owner, member or a seeded resource is replaced by a new one.
 */
export async function repairWorld(t: TestApp, world: World): Promise<World> {
  const me = await signedIn(t, world.me);
  const member = await signedIn(t, world.member);
  const other = await signedIn(t, world.other);
  // The invite code may have been rotated and the receipt replaced: read both again.
  const kept = async (list: SeededList, owner: Registered): Promise<SeededList> => {
    const trip = await t.http.get(`/lists/${list.listId}/trips/${list.tripId}`).set(owner.auth).expect(200);
    const link = linkParts(trip.body.receiptUrl as string);
    return {
      ...list,
      inviteCode: (await getList(t, owner, list.listId)).inviteCode,
      receipt: { file: link.path.split('/').pop()!, expires: link.expires, sig: link.sig },
    };
  };
  const mine = (await intact(t, world.mine, me, member))
    ? await kept(world.mine, me)
    : await newList(t, me, world.jpeg, member);
  const theirs = (await intact(t, world.theirs, other))
    ? await kept(world.theirs, other)
    : await newList(t, other, world.jpeg);
  const sessions = {
    me: await currentSession(t, me),
    member: await currentSession(t, member),
    other: await currentSession(t, other),
  };
  return { ...world, me, member, other, mine, theirs, sessions };
}

/**
 * `kind.whose` → a value of the current world: `list.own`, `item.foreign`, `email.me`…
 * Unknown names throw, so a typo in a plan fails loudly instead of sending "undefined".
 */
export function lookup(world: World, name: string): string {
  const [kind, whose] = name.split('.');
  const list = whose === 'foreign' ? world.theirs : world.mine;
  // A user "own" to my list is its other member; a "foreign" one is on the other list only.
  const person = ({ own: 'member', foreign: 'other' } as Record<string, string>)[whose] ?? whose;
  const user = person === 'member' ? world.member : person === 'other' ? world.other : world.me;
  const values: Record<string, () => string> = {
    list: () => list.listId,
    item: () => list.itemId,
    checkedItem: () => list.checkedItemId,
    store: () => list.storeId,
    trip: () => list.tripId,
    file: () => list.receipt.file,
    expires: () => list.receipt.expires,
    sig: () => list.receipt.sig,
    invite: () => list.inviteCode,
    itemName: () => list.itemName,
    storeName: () => list.storeName,
    user: () => user.userId,
    // My own session (revoking it ends the world's), or another user's.
    session: () => world.sessions[whose === 'own' ? 'me' : whose === 'foreign' ? 'other' : (whose as 'me')],
    email: () => user.email,
    password: () => user.password,
    refresh: () => user.refreshToken,
    token: () => user.token,
  };
  const value = values[kind]?.();
  if (value === undefined) throw new Error(`no world value ${name}`);
  return value;
}

/** The value with every WorldRef in it replaced by the current world's value. */
export function resolveRefs(value: unknown, world: World): unknown {
  if (isRef(value)) {
    const found = lookup(world, value.$world);
    return value.upper ? found.toUpperCase() : value.lower ? found.toLowerCase() : found;
  }
  if (Array.isArray(value)) return value.map((v) => resolveRefs(v, world));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      Object.defineProperty(out, key, {
        value: resolveRefs(v, world),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}

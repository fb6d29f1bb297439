import { randomUUID } from 'node:crypto';
import { useTestApp } from './support/app';
import { expectHiddenList, expectInvalid, ISO, UUID } from './support/expect';
import { expectErrorBody, Registered, registerUser } from './support/factories';
import { setNow } from './support/clock';
import { getList, ownerAndMember } from './support/lists';
import { TestSocket, wsUrl } from './support/ws-client';

/** Crockford base32 (no I, L, O, U), XXX-XXX: the 7 characters the app's join field takes. */
const INVITE_CODE = /^[0-9A-HJKMNP-TV-Z]{3}-[0-9A-HJKMNP-TV-Z]{3}$/;
/** Well-formed, but (with overwhelming probability) no list's code. */
const WRONG_CODE = 'ZZZ-ZZZ';
const DAY_MS = 86_400_000;

describe('lists', () => {
  const t = useTestApp();

  const inviteCodeOf = async (u: Registered, listId: string): Promise<string> =>
    (await getList(t, u, listId)).inviteCode;
  const join = (u: Registered, inviteCode: unknown) => t.http.post('/lists/join').set(u.auth).send({ inviteCode });

  describe('GET /lists', () => {
    it("should return only the caller's lists, each with the caller's role", async () => {
      const { owner, member, listId } = await ownerAndMember(t);
      await registerUser(t, { name: 'Other' });

      const res = await t.http.get('/lists').set(member.auth).expect(200);

      expect(res.body).toHaveLength(2);
      expect(res.body).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ id: member.listId, name: "Max's List", role: 'owner' }),
          expect.objectContaining({ id: listId, name: "Olga's List", role: 'member' }),
        ]),
      );
      const joined = (res.body as { id: string }[]).find((l) => l.id === listId);
      expect(joined).toMatchObject({
        inviteCode: expect.stringMatching(INVITE_CODE),
        createdAt: expect.stringMatching(ISO),
        seq: expect.any(Number),
      });
      const ownerView = await t.http.get('/lists').set(owner.auth).expect(200);
      expect(ownerView.body).toEqual([expect.objectContaining({ id: listId, role: 'owner' })]);
    });

    it('should require authentication', async () => {
      const res = await t.http.get('/lists').expect(401);
      expectErrorBody(res.body, 401);
    });
  });

  describe('POST /lists', () => {
    it('should create a list owned by the caller and return it in the List shape', async () => {
      const now = new Date(Date.now() + 60_000);
      setNow(t, now);
      const u = await registerUser(t, { name: 'Ana' });

      const res = await t.http.post('/lists').set(u.auth).send({ name: 'Weekly shop' }).expect(201);

      expect(res.body).toEqual({
        id: expect.stringMatching(UUID),
        name: 'Weekly shop',
        inviteCode: expect.stringMatching(INVITE_CODE),
        inviteCodeExpiresAt: new Date(now.getTime() + 7 * DAY_MS).toISOString(),
        members: [{ id: u.userId, name: 'Ana', email: u.email, role: 'owner' }],
        items: [],
        createdAt: expect.stringMatching(ISO),
        seq: expect.any(Number),
        role: 'owner',
        version: expect.any(Number),
      });
      expect(res.body.id).not.toBe(u.listId);
      const mine = await t.http.get('/lists').set(u.auth).expect(200);
      expect(mine.body).toEqual(
        expect.arrayContaining([expect.objectContaining({ id: res.body.id, name: 'Weekly shop', role: 'owner' })]),
      );
    });

    it('should trim the name', async () => {
      const u = await registerUser(t);
      const res = await t.http.post('/lists').set(u.auth).send({ name: '  Party  ' }).expect(201);
      expect(res.body.name).toBe('Party');
    });

    it('should accept a name of exactly 100 characters', async () => {
      const u = await registerUser(t);
      const res = await t.http
        .post('/lists')
        .set(u.auth)
        .send({ name: `  ${'a'.repeat(100)}  ` })
        .expect(201);
      expect(res.body.name).toBe('a'.repeat(100));
    });

    it.each([
      ['missing', {}],
      ['empty', { name: '' }],
      ['whitespace only', { name: '   ' }],
      ['over 100 characters', { name: 'a'.repeat(101) }],
      ['not a string', { name: 42 }],
      ['null', { name: null }],
    ])('should reject a name that is %s with 400 naming the field', async (_label, body) => {
      const u = await registerUser(t);
      expectInvalid(await t.http.post('/lists').set(u.auth).send(body), 'name');
      const mine = await t.http.get('/lists').set(u.auth).expect(200);
      expect(mine.body).toHaveLength(1);
    });

    it('should reject an unknown body property with 400', async () => {
      const u = await registerUser(t);
      expectInvalid(await t.http.post('/lists').set(u.auth).send({ name: 'Ok', owner: 'someone' }), 'owner');
    });

    it('should require authentication', async () => {
      const res = await t.http.post('/lists').send({ name: 'x' }).expect(401);
      expectErrorBody(res.body, 401);
    });
  });

  describe('GET /lists/:id', () => {
    it('should return the list with its members and items to a member', async () => {
      const { owner, member, listId } = await ownerAndMember(t);
      await t.http.post(`/lists/${listId}/items`).set(owner.auth).send({ name: 'Milk' }).expect(201);

      const res = await t.http.get(`/lists/${listId}`).set(member.auth).expect(200);

      expect(res.body).toMatchObject({
        id: listId,
        name: "Olga's List",
        inviteCode: expect.stringMatching(INVITE_CODE),
        createdAt: expect.stringMatching(ISO),
        seq: expect.any(Number),
        role: 'member',
        members: [
          { id: owner.userId, name: 'Olga', email: owner.email, role: 'owner' },
          { id: member.userId, name: 'Max', email: member.email, role: 'member' },
        ],
        items: [expect.objectContaining({ listId, name: 'Milk', addedBy: owner.userId })],
      });
    });

    it('should answer 404 for a list the caller is not a member of, exactly as for a missing list', async () => {
      const owner = await registerUser(t);
      await expectHiddenList(t, (u, id) => t.http.get(`/lists/${id}`).set(u.auth), owner.listId);
    });

    it('should answer 400 naming the id when it is not a UUID', async () => {
      const u = await registerUser(t);
      expectInvalid(await t.http.get('/lists/not-a-uuid').set(u.auth), 'id');
    });

    it('should require authentication', async () => {
      const u = await registerUser(t);
      const res = await t.http.get(`/lists/${u.listId}`).expect(401);
      expectErrorBody(res.body, 401);
    });
  });

  describe('PATCH /lists/:id', () => {
    it('should rename the list for every member', async () => {
      const { owner, member, listId } = await ownerAndMember(t);

      const res = await t.http.patch(`/lists/${listId}`).set(owner.auth).send({ name: '  Groceries  ' }).expect(200);

      expect(res.body).toMatchObject({ id: listId, name: 'Groceries', role: 'owner', members: expect.any(Array) });
      expect((await getList(t, member, listId)).name).toBe('Groceries');
      const mine = await t.http.get('/lists').set(member.auth).expect(200);
      expect(mine.body).toEqual(expect.arrayContaining([expect.objectContaining({ id: listId, name: 'Groceries' })]));
    });

    it('should let a plain member rename the list', async () => {
      const { owner, member, listId } = await ownerAndMember(t);
      const res = await t.http.patch(`/lists/${listId}`).set(member.auth).send({ name: 'Renamed' }).expect(200);
      expect(res.body).toMatchObject({ name: 'Renamed', role: 'member' });
      expect((await getList(t, owner, listId)).name).toBe('Renamed');
    });

    it('should bump the list version on a rename and not when the name stays the same', async () => {
      const u = await registerUser(t);
      const before = (await getList(t, u, u.listId)).version;

      const renamed = await t.http.patch(`/lists/${u.listId}`).set(u.auth).send({ name: 'New' }).expect(200);
      expect(renamed.body.version).toBe(before + 1);
      const same = await t.http.patch(`/lists/${u.listId}`).set(u.auth).send({ name: ' New ' }).expect(200);
      expect(same.body.version).toBe(before + 1);
    });

    it.each([
      ['missing', {}],
      ['empty', { name: '' }],
      ['whitespace only', { name: '   ' }],
      ['over 100 characters', { name: 'a'.repeat(101) }],
      ['not a string', { name: ['a'] }],
    ])('should reject a name that is %s with 400 naming the field', async (_label, body) => {
      const u = await registerUser(t, { name: 'Ana' });
      expectInvalid(await t.http.patch(`/lists/${u.listId}`).set(u.auth).send(body), 'name');
      expect((await getList(t, u, u.listId)).name).toBe("Ana's List");
    });

    it('should reject an unknown body property with 400', async () => {
      const u = await registerUser(t);
      expectInvalid(
        await t.http.patch(`/lists/${u.listId}`).set(u.auth).send({ name: 'Ok', inviteCode: 'AAAA-BBBB' }),
        'inviteCode',
      );
    });

    it('should answer 404 for a list the caller is not a member of, exactly as for a missing list', async () => {
      const owner = await registerUser(t, { name: 'Ana' });
      await expectHiddenList(
        t,
        (u, id) => t.http.patch(`/lists/${id}`).set(u.auth).send({ name: 'Mine now' }),
        owner.listId,
      );
      expect((await getList(t, owner, owner.listId)).name).toBe("Ana's List");
    });

    it('should answer 400 naming the id when it is not a UUID', async () => {
      const u = await registerUser(t);
      expectInvalid(await t.http.patch('/lists/123').set(u.auth).send({ name: 'x' }), 'id');
    });

    it('should require authentication', async () => {
      const u = await registerUser(t);
      const res = await t.http.patch(`/lists/${u.listId}`).send({ name: 'x' }).expect(401);
      expectErrorBody(res.body, 401);
    });
  });

  describe('POST /lists/join', () => {
    it('should add the caller as a member and return the list', async () => {
      const owner = await registerUser(t, { name: 'Olga' });
      const joiner = await registerUser(t, { name: 'Max' });

      const res = await join(joiner, await inviteCodeOf(owner, owner.listId)).expect(200);

      expect(res.body).toMatchObject({
        id: owner.listId,
        name: "Olga's List",
        role: 'member',
        items: [],
        members: [
          { id: owner.userId, name: 'Olga', email: owner.email, role: 'owner' },
          { id: joiner.userId, name: 'Max', email: joiner.email, role: 'member' },
        ],
      });
      expect((await getList(t, owner, owner.listId)).members).toHaveLength(2);
    });

    it('should be a no-op that still answers 200 when joining twice', async () => {
      const owner = await registerUser(t);
      const joiner = await registerUser(t);
      const code = await inviteCodeOf(owner, owner.listId);
      await join(joiner, code).expect(200);

      const again = await join(joiner, code).expect(200);

      expect(again.body.members).toHaveLength(2);
      expect(again.body.role).toBe('member');
      expect((await getList(t, owner, owner.listId)).members).toHaveLength(2);
    });

    it('should keep the owner as owner when they join their own list', async () => {
      const owner = await registerUser(t);
      const res = await join(owner, await inviteCodeOf(owner, owner.listId)).expect(200);
      expect(res.body.role).toBe('owner');
      expect(res.body.members).toEqual([expect.objectContaining({ id: owner.userId, role: 'owner' })]);
    });

    it.each([
      ['lower-case', (code: string) => code.toLowerCase()],
      ['without the dash', (code: string) => code.replace('-', '')],
      [
        'lower-case without the dash, padded with spaces',
        (code: string) => `  ${code.replace('-', '').toLowerCase()} `,
      ],
    ])('should accept the invite code written %s', async (_label, write) => {
      const owner = await registerUser(t);
      const joiner = await registerUser(t);
      const res = await join(joiner, write(await inviteCodeOf(owner, owner.listId))).expect(200);
      expect(res.body).toMatchObject({ id: owner.listId, role: 'member' });
    });

    it('should answer 404 with the error body for a code no list has', async () => {
      const u = await registerUser(t);
      await registerUser(t);
      const res = await join(u, WRONG_CODE).expect(404);
      expectErrorBody(res.body, 404);
      const mine = await t.http.get('/lists').set(u.auth).expect(200);
      expect(mine.body).toHaveLength(1);
    });

    it.each([
      ['missing', {}],
      ['not a string', { inviteCode: 12345678 }],
      ['over 32 characters', { inviteCode: 'A'.repeat(33) }],
    ])('should reject an invite code that is %s with 400 naming the field', async (_label, body) => {
      const u = await registerUser(t);
      expectInvalid(await t.http.post('/lists/join').set(u.auth).send(body), 'inviteCode');
    });

    it('should reject an unknown body property with 400', async () => {
      const owner = await registerUser(t);
      const u = await registerUser(t);
      const code = await inviteCodeOf(owner, owner.listId);
      expectInvalid(await t.http.post('/lists/join').set(u.auth).send({ inviteCode: code, role: 'owner' }), 'role');
      expect((await getList(t, owner, owner.listId)).members).toHaveLength(1);
    });

    it('should throttle a user after 10 wrong codes with 429, refusing even the correct code', async () => {
      const owner = await registerUser(t);
      const guesser = await registerUser(t);
      const code = await inviteCodeOf(owner, owner.listId);
      for (let i = 0; i < 10; i++) await join(guesser, WRONG_CODE).expect(404);

      const throttled = await join(guesser, WRONG_CODE).expect(429);
      expectErrorBody(throttled.body, 429);
      const correct = await join(guesser, code).expect(429);
      expectErrorBody(correct.body, 429);

      expect((await getList(t, owner, owner.listId)).members).toHaveLength(1);
      await t.http.get(`/lists/${owner.listId}`).set(guesser.auth).expect(404);
    });

    it('should throttle per user, so another user can still join', async () => {
      const owner = await registerUser(t);
      const guesser = await registerUser(t);
      const other = await registerUser(t);
      for (let i = 0; i < 10; i++) await join(guesser, WRONG_CODE).expect(404);
      await join(guesser, WRONG_CODE).expect(429);

      await join(other, await inviteCodeOf(owner, owner.listId)).expect(200);
    });

    it('should require authentication', async () => {
      const owner = await registerUser(t);
      const res = await t.http
        .post('/lists/join')
        .send({ inviteCode: await inviteCodeOf(owner, owner.listId) })
        .expect(401);
      expectErrorBody(res.body, 401);
      expect((await getList(t, owner, owner.listId)).members).toHaveLength(1);
    });
  });

  describe('invite codes as the app uses them', () => {
    afterEach(() => jest.restoreAllMocks());

    it('should fit the app’s 7-character join field, so the code as typed there joins (any case)', async () => {
      const owner = await registerUser(t);
      const joiner = await registerUser(t);
      const code = await inviteCodeOf(owner, owner.listId);
      // The app's field stops at 7 characters: what it sends is the whole code.
      const typed = code.slice(0, 7).toLowerCase();
      expect(typed).toHaveLength(7);
      await join(joiner, typed).expect(200);
    });

    it('should stop working after INVITE_TTL_DAYS, and a member reading the list then gets a fresh code', async () => {
      const start = new Date(Date.now() + 60_000);
      setNow(t, start);
      const owner = await registerUser(t, { name: 'Olga' });
      const joiner = await registerUser(t);
      const old = await getList(t, owner, owner.listId);
      expect(old.inviteCodeExpiresAt).toBe(new Date(start.getTime() + 7 * DAY_MS).toISOString());

      const later = new Date(start.getTime() + 7 * DAY_MS + 1000);
      setNow(t, later);
      const socket = await TestSocket.open(wsUrl(t, `/ws/lists/${owner.listId}?token=${owner.token}&since=${old.seq}`));
      await join(joiner, old.inviteCode).expect(404);

      const fresh = await getList(t, owner, owner.listId);
      expect(fresh.inviteCode).toMatch(INVITE_CODE);
      expect(fresh.inviteCode).not.toBe(old.inviteCode);
      expect(fresh.inviteCodeExpiresAt).toBe(new Date(later.getTime() + 7 * DAY_MS).toISOString());
      // Partners see it too, once.
      await socket.waitForSeq(old.seq + 1);
      await socket.sync();
      expect(socket.durable()).toEqual([
        { type: 'list:updated', seq: old.seq + 1, payload: { id: owner.listId, inviteCode: fresh.inviteCode } },
      ]);
      expect((await getList(t, owner, owner.listId)).inviteCode).toBe(fresh.inviteCode);

      await join(joiner, old.inviteCode).expect(404);
      await join(joiner, fresh.inviteCode).expect(200);
      await socket.close();
    });

    it('should replace the code when the owner removes a member, so the removed member cannot walk back in', async () => {
      const { owner, member, listId } = await ownerAndMember(t);
      const before = await getList(t, owner, listId);
      const socket = await TestSocket.open(wsUrl(t, `/ws/lists/${listId}?token=${owner.token}&since=${before.seq}`));

      await t.http.delete(`/lists/${listId}/members/${member.userId}`).set(owner.auth).expect(204);

      const after = await getList(t, owner, listId);
      expect(after.inviteCode).not.toBe(before.inviteCode);
      await socket.waitForSeq(before.seq + 1);
      expect(socket.durable()).toEqual([
        {
          type: 'list:updated',
          seq: before.seq + 1,
          payload: { id: listId, members: after.members, inviteCode: after.inviteCode },
        },
      ]);
      const back = await join(member, before.inviteCode).expect(404);
      expectErrorBody(back.body, 404);
      await t.http.get(`/lists/${listId}`).set(member.auth).expect(404);
      await socket.close();
    });

    it('should throttle wrong codes per address across accounts (INVITE_MAX_FAILURES_PER_IP)', async () => {
      const owner = await registerUser(t);
      const code = await inviteCodeOf(owner, owner.listId);
      const guessers = await Promise.all(Array.from({ length: 4 }, () => registerUser(t)));
      // 30 wrong codes from one address, spread over four accounts (each under its own limit of 10).
      for (let i = 0; i < 30; i++) await join(guessers[i % 4], WRONG_CODE).expect(404);

      const fifth = await registerUser(t);
      expectErrorBody((await join(fifth, code).expect(429)).body, 429);
      expect((await getList(t, owner, owner.listId)).members).toHaveLength(1);
    });
  });

  describe('POST /lists/:id/invite-code', () => {
    it('should give the list a new code and make the old one stop working', async () => {
      const owner = await registerUser(t);
      const oldCode = await inviteCodeOf(owner, owner.listId);

      const res = await t.http.post(`/lists/${owner.listId}/invite-code`).set(owner.auth).expect(200);

      expect(res.body).toMatchObject({
        id: owner.listId,
        role: 'owner',
        inviteCode: expect.stringMatching(INVITE_CODE),
      });
      expect(res.body.inviteCode).not.toBe(oldCode);
      expect(await inviteCodeOf(owner, owner.listId)).toBe(res.body.inviteCode);
      const late = await registerUser(t);
      await join(late, oldCode).expect(404);
      await join(late, res.body.inviteCode).expect(200);
    });

    it('should answer 403 to a plain member and keep the code', async () => {
      const { owner, member, listId } = await ownerAndMember(t);
      const code = await inviteCodeOf(owner, listId);

      const res = await t.http.post(`/lists/${listId}/invite-code`).set(member.auth).expect(403);

      expectErrorBody(res.body, 403);
      expect(await inviteCodeOf(owner, listId)).toBe(code);
    });

    it('should answer 404 for a list the caller is not a member of, exactly as for a missing list', async () => {
      const owner = await registerUser(t);
      const code = await inviteCodeOf(owner, owner.listId);
      await expectHiddenList(t, (u, id) => t.http.post(`/lists/${id}/invite-code`).set(u.auth), owner.listId);
      expect(await inviteCodeOf(owner, owner.listId)).toBe(code);
    });

    it('should answer 400 naming the id when it is not a UUID', async () => {
      const u = await registerUser(t);
      expectInvalid(await t.http.post('/lists/nope/invite-code').set(u.auth), 'id');
    });

    it('should require authentication', async () => {
      const u = await registerUser(t);
      const res = await t.http.post(`/lists/${u.listId}/invite-code`).expect(401);
      expectErrorBody(res.body, 401);
    });
  });

  describe('DELETE /lists/:id', () => {
    it('should delete the list for every member', async () => {
      const { owner, member, listId } = await ownerAndMember(t);
      const code = await inviteCodeOf(owner, listId);

      const res = await t.http.delete(`/lists/${listId}`).set(owner.auth).expect(204);

      expect(res.text).toBe('');
      await t.http.get(`/lists/${listId}`).set(owner.auth).expect(404);
      await t.http.get(`/lists/${listId}`).set(member.auth).expect(404);
      const memberLists = await t.http.get('/lists').set(member.auth).expect(200);
      expect(memberLists.body).toEqual([expect.objectContaining({ id: member.listId })]);
      const late = await registerUser(t);
      await join(late, code).expect(404);
    });

    it('should answer 403 to a plain member and keep the list', async () => {
      const { owner, member, listId } = await ownerAndMember(t);

      const res = await t.http.delete(`/lists/${listId}`).set(member.auth).expect(403);

      expectErrorBody(res.body, 403);
      expect((await getList(t, owner, listId)).members).toHaveLength(2);
      await t.http.get(`/lists/${listId}`).set(member.auth).expect(200);
    });

    it('should answer 404 for a list the caller is not a member of, exactly as for a missing list', async () => {
      const owner = await registerUser(t);
      await expectHiddenList(t, (u, id) => t.http.delete(`/lists/${id}`).set(u.auth), owner.listId);
      await t.http.get(`/lists/${owner.listId}`).set(owner.auth).expect(200);
    });

    it('should answer 400 naming the id when it is not a UUID', async () => {
      const u = await registerUser(t);
      expectInvalid(await t.http.delete('/lists/abc').set(u.auth), 'id');
    });

    it('should require authentication', async () => {
      const u = await registerUser(t);
      const res = await t.http.delete(`/lists/${u.listId}`).expect(401);
      expectErrorBody(res.body, 401);
      await t.http.get(`/lists/${u.listId}`).set(u.auth).expect(200);
    });
  });

  describe('POST /lists/:id/leave', () => {
    it('should remove a member who leaves, who then gets 404 on the list', async () => {
      const { owner, member, listId } = await ownerAndMember(t);

      const res = await t.http.post(`/lists/${listId}/leave`).set(member.auth).expect(204);

      expect(res.text).toBe('');
      await t.http.get(`/lists/${listId}`).set(member.auth).expect(404);
      expect((await getList(t, owner, listId)).members).toEqual([
        expect.objectContaining({ id: owner.userId, role: 'owner' }),
      ]);
      const memberLists = await t.http.get('/lists').set(member.auth).expect(200);
      expect(memberLists.body).toEqual([expect.objectContaining({ id: member.listId })]);
    });

    it('should pass ownership to the longest-standing member when the owner leaves', async () => {
      const { owner, member: first, listId } = await ownerAndMember(t);
      const second = await registerUser(t, { name: 'Zoe' });
      await join(second, await inviteCodeOf(owner, listId)).expect(200);

      await t.http.post(`/lists/${listId}/leave`).set(owner.auth).expect(204);

      const view = await getList(t, first, listId);
      expect(view.role).toBe('owner');
      expect(view.members).toEqual([
        expect.objectContaining({ id: first.userId, role: 'owner' }),
        expect.objectContaining({ id: second.userId, role: 'member' }),
      ]);
      await t.http.post(`/lists/${listId}/invite-code`).set(first.auth).expect(200);
      await t.http.post(`/lists/${listId}/invite-code`).set(second.auth).expect(403);
      await t.http.get(`/lists/${listId}`).set(owner.auth).expect(404);
    });

    it('should delete the list when its last member leaves', async () => {
      const u = await registerUser(t);
      const code = await inviteCodeOf(u, u.listId);

      await t.http.post(`/lists/${u.listId}/leave`).set(u.auth).expect(204);

      const late = await registerUser(t);
      await join(late, code).expect(404);
      const rows: unknown[] = await t.dataSource.query('SELECT 1 FROM lists WHERE id = $1', [u.listId]);
      expect(rows).toHaveLength(0);
    });

    it('should answer 404 for a list the caller is not a member of, exactly as for a missing list', async () => {
      const owner = await registerUser(t);
      await expectHiddenList(t, (u, id) => t.http.post(`/lists/${id}/leave`).set(u.auth), owner.listId);
      expect((await getList(t, owner, owner.listId)).members).toHaveLength(1);
    });

    it('should answer 400 naming the id when it is not a UUID', async () => {
      const u = await registerUser(t);
      expectInvalid(await t.http.post('/lists/x/leave').set(u.auth), 'id');
    });

    it('should require authentication', async () => {
      const u = await registerUser(t);
      const res = await t.http.post(`/lists/${u.listId}/leave`).expect(401);
      expectErrorBody(res.body, 401);
      await t.http.get(`/lists/${u.listId}`).set(u.auth).expect(200);
    });
  });

  describe('DELETE /lists/:id/members/:userId', () => {
    it('should remove the member, who then gets 404 on the list', async () => {
      const { owner, member, listId } = await ownerAndMember(t);

      const res = await t.http.delete(`/lists/${listId}/members/${member.userId}`).set(owner.auth).expect(204);

      expect(res.text).toBe('');
      expect((await getList(t, owner, listId)).members).toEqual([expect.objectContaining({ id: owner.userId })]);
      const gone = await t.http.get(`/lists/${listId}`).set(member.auth).expect(404);
      expectErrorBody(gone.body, 404);
      await t.http.post(`/lists/${listId}/items`).set(member.auth).send({ name: 'Sneaky' }).expect(404);
    });

    it('should answer 403 to a plain member and remove nobody', async () => {
      const { owner, member, listId } = await ownerAndMember(t);
      const third = await registerUser(t);
      await join(third, await inviteCodeOf(owner, listId)).expect(200);

      const res = await t.http.delete(`/lists/${listId}/members/${third.userId}`).set(member.auth).expect(403);
      expectErrorBody(res.body, 403);
      await t.http.delete(`/lists/${listId}/members/${owner.userId}`).set(member.auth).expect(403);

      expect((await getList(t, owner, listId)).members).toHaveLength(3);
    });

    it('should answer 400 when the owner tries to remove themselves', async () => {
      const { owner, listId } = await ownerAndMember(t);
      const res = await t.http.delete(`/lists/${listId}/members/${owner.userId}`).set(owner.auth).expect(400);
      expectErrorBody(res.body, 400);
      expect((await getList(t, owner, listId)).role).toBe('owner');
    });

    it('should answer 400 when the owner names themselves with an upper-case id, and stay owner', async () => {
      const { owner, member, listId } = await ownerAndMember(t);
      const { inviteCode } = await getList(t, owner, listId);
      const res = await t.http
        .delete(`/lists/${listId}/members/${owner.userId.toUpperCase()}`)
        .set(owner.auth)
        .expect(400);
      expect(res.body.message).toBe('To leave your own list, use POST /lists/:id/leave.');
      const list = await getList(t, owner, listId);
      expect({ role: list.role, members: list.members.length, inviteCode: list.inviteCode }).toEqual({
        role: 'owner',
        members: 2,
        inviteCode,
      });
      expect((await getList(t, member, listId)).role).toBe('member');
    });

    it('should answer 404 for a user who is not a member of the list', async () => {
      const { owner, listId } = await ownerAndMember(t);
      const outsider = await registerUser(t);

      const res = await t.http.delete(`/lists/${listId}/members/${outsider.userId}`).set(owner.auth).expect(404);

      expectErrorBody(res.body, 404);
      await t.http.delete(`/lists/${listId}/members/${randomUUID()}`).set(owner.auth).expect(404);
      expect((await getList(t, owner, listId)).members).toHaveLength(2);
    });

    it('should answer 404 for a list the caller is not a member of, exactly as for a missing list', async () => {
      const { owner, member, listId } = await ownerAndMember(t);
      await expectHiddenList(t, (u, id) => t.http.delete(`/lists/${id}/members/${member.userId}`).set(u.auth), listId);
      expect((await getList(t, owner, listId)).members).toHaveLength(2);
    });

    it('should answer 400 naming the path parameter that is not a UUID', async () => {
      const u = await registerUser(t);
      expectInvalid(await t.http.delete(`/lists/${u.listId}/members/not-a-uuid`).set(u.auth), 'userId');
      expectInvalid(await t.http.delete(`/lists/not-a-uuid/members/${u.userId}`).set(u.auth), 'id');
    });

    it('should require authentication', async () => {
      const { owner, member, listId } = await ownerAndMember(t);
      const res = await t.http.delete(`/lists/${listId}/members/${member.userId}`).expect(401);
      expectErrorBody(res.body, 401);
      expect((await getList(t, owner, listId)).members).toHaveLength(2);
    });
  });
});

/**
 * Its own app, booted only after the suite above has closed its one: passport keeps one
 * global "jwt" strategy, so two apps alive in one process would authenticate against
 * whichever registered last.
 */
describe('invite-code throttling with INVITE_MAX_FAILURES=2 and INVITE_FAILURE_WINDOW_SEC=1', () => {
  const t = useTestApp({ INVITE_MAX_FAILURES: '2', INVITE_FAILURE_WINDOW_SEC: '1' });

  it('should throttle after the configured number of failures and let the user in once the window has passed', async () => {
    const owner = await registerUser(t);
    const guesser = await registerUser(t);
    const code: string = (await t.http.get(`/lists/${owner.listId}`).set(owner.auth).expect(200)).body.inviteCode;
    const join = (inviteCode: string) => t.http.post('/lists/join').set(guesser.auth).send({ inviteCode });
    await join(WRONG_CODE).expect(404);
    await join(WRONG_CODE).expect(404);

    const throttled = await join(code).expect(429);
    expectErrorBody(throttled.body, 429);

    // The window passes: time moves in the database, where the window is kept.
    await t.dataSource.query(`UPDATE throttles SET expire = expire - 1000`);
    const res = await join(code).expect(200);
    expect(res.body).toMatchObject({ id: owner.listId, role: 'member' });
  });
});

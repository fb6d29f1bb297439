import argon2 from 'argon2';
import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { useTestApp } from './support/app';
import { eventually } from './support/eventually';
import { expectErrorBody, registerUser } from './support/factories';

const BUSY = {
  statusCode: 503,
  error: 'Service Unavailable',
  message: 'The service is busy; please try again in a moment.',
  requestId: expect.any(String),
};

describe('password hashing capacity (ARGON2_MAX_CONCURRENT=1, ARGON2_MAX_QUEUE=1)', () => {
  const t = useTestApp({ ARGON2_MAX_CONCURRENT: '1', ARGON2_MAX_QUEUE: '1' });
  afterEach(() => jest.restoreAllMocks());

  /**
   * Holds every argon2 verification until released, so "one running, one queued" stays true
   * for as long as the test looks (the hashing itself is real once released).
   */
  function holdVerifications(): { started: () => number; release: () => void } {
    const verify = argon2.verify.bind(argon2);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    jest.spyOn(argon2, 'verify').mockImplementation(async (...args) => {
      started++;
      await gate;
      return verify(...args);
    });
    return { started: () => started, release };
  }

  it('should answer 503 with Retry-After beyond one running and one queued sign-in, never 500, and serve those two', async () => {
    const users = [await registerUser(t), await registerUser(t), await registerUser(t)];
    const held = holdVerifications();
    const answered: Response[] = [];
    // Three accounts and three unknown emails: an unknown email spends a verification too.
    const credentials = [
      ...users.map((u) => ({ email: u.email, password: u.password })),
      ...[1, 2, 3].map(() => ({ email: `nobody-${randomUUID()}@example.com`, password: 'whatever it is' })),
    ];
    const logins = credentials.map((body) =>
      t.http
        .post('/auth/login')
        .send(body)
        .then((res) => {
          answered.push(res);
          return res;
        }),
    );

    await eventually(() => expect(answered).toHaveLength(4));
    for (const res of answered) {
      expect(res.status).toBe(503);
      expectErrorBody(res.body, 503);
      expect(res.body).toEqual(BUSY);
      expect(res.headers['retry-after']).toBe('1');
    }
    expect(held.started()).toBe(1);

    held.release();
    const statuses = (await Promise.all(logins)).map((res) => res.status);
    expect(statuses.filter((status) => status === 503)).toHaveLength(4);
    const served = statuses.flatMap((status, i) => (status === 503 ? [] : [[i < 3, status]]));
    expect(served).toHaveLength(2);
    for (const [known, status] of served) expect(status).toBe(known ? 200 : 401);
    expect(held.started()).toBe(2);
  });

  it('should not count a sign-in refused for capacity against the account', async () => {
    const u = await registerUser(t);
    const held = holdVerifications();
    // Eight at once, within the account's 10: each takes its attempt before it reaches the hasher.
    const answered: number[] = [];
    const logins = Array.from({ length: 8 }, () =>
      t.http
        .post('/auth/login')
        .send({ email: u.email, password: 'wrong!' })
        .then((res) => answered.push(res.status)),
    );
    await eventually(() => expect(answered).toEqual(Array<number>(6).fill(503)));
    held.release();
    await Promise.all(logins);
    expect(answered).toEqual([...Array<number>(6).fill(503), 401, 401]);
    jest.restoreAllMocks();

    // Two failures counted of the default 10: eight more wrong passwords are still 401.
    for (let i = 0; i < 8; i++)
      await t.http.post('/auth/login').send({ email: u.email, password: 'wrong!' }).expect(401);
    await t.http.post('/auth/login').send({ email: u.email, password: u.password }).expect(429);
  });
});

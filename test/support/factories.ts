import { randomUUID } from 'node:crypto';
import type { TestApp } from './app';

export interface Registered {
  token: string;
  refreshToken: string;
  userId: string;
  email: string;
  password: string;
  listId: string;
  auth: { Authorization: string };
}

/** Registers a fresh user through the API (201 asserted) and returns what later calls need. */
export async function registerUser(
  t: TestApp,
  overrides: Partial<{ email: string; name: string; password: string }> = {},
): Promise<Registered> {
  const email = overrides.email ?? `user-${randomUUID()}@example.com`;
  const password = overrides.password ?? 'correct horse battery';
  const res = await t.http
    .post('/auth/register')
    .send({ email, password, name: overrides.name ?? 'Ana' })
    .expect(201);
  const body = res.body as { token: string; refreshToken: string; user: { id: string }; listIds: string[] };
  return {
    token: body.token,
    refreshToken: body.refreshToken,
    userId: body.user.id,
    email,
    password,
    listId: body.listIds[0],
    auth: { Authorization: `Bearer ${body.token}` },
  };
}

/** An error answer in the contract's shape, asserting the parts every error shares. */
export function expectErrorBody(body: unknown, statusCode: number): void {
  expect(body).toMatchObject({
    statusCode,
    error: expect.any(String),
    message: expect.any(String),
    requestId: expect.any(String),
  });
  expect((body as { requestId: string }).requestId.length).toBeGreaterThan(0);
}

import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import type { TestApp } from './app';
import { expectErrorBody, Registered, registerUser } from './factories';

/** An id as the server makes them: a lower-case UUID. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A time as the API writes it: ISO 8601 in UTC, with milliseconds. */
export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** A 400 whose details name `field` (among any others), in the contract's error shape. */
export function expectInvalid(res: Response, field: string): void {
  expect(res.status).toBe(400);
  expectErrorBody(res.body, 400);
  expect(res.body.details).toEqual(expect.arrayContaining([{ field, problem: expect.any(String) }]));
}

/**
 * A 400 in the contract's shape whose details name exactly `fields`;
 * with `namedInMessage`, the message names each of them as well.
 */
export function expectInvalidExactly(
  res: Response,
  fields: string[],
  options: { namedInMessage?: boolean } = {},
): void {
  expect(res.status).toBe(400);
  expectErrorBody(res.body, 400);
  const details = res.body.details as { field: unknown; problem: unknown }[];
  expect(Array.isArray(details)).toBe(true);
  for (const detail of details) expect(typeof detail.problem).toBe('string');
  expect(new Set(details.map((detail) => detail.field))).toEqual(new Set(fields));
  if (options.namedInMessage) for (const field of fields) expect(res.body.message).toContain(field);
}

/** The error body minus its per-request id, to compare two answers. */
export function withoutRequestId(body: Record<string, unknown>): Record<string, unknown> {
  const { requestId: _requestId, ...rest } = body;
  return rest;
}

/** Someone who is not a member of `listId` gets the same 404 as for a list that does not exist. */
export async function expectHiddenList(
  t: TestApp,
  send: (u: Registered, listId: string) => Promise<Response>,
  listId: string,
): Promise<void> {
  const stranger = await registerUser(t, { name: 'Eve' });
  const notMine = await send(stranger, listId);
  const missing = await send(stranger, randomUUID());
  expect(notMine.status).toBe(404);
  expectErrorBody(notMine.body, 404);
  expect(missing.status).toBe(404);
  expect(withoutRequestId(notMine.body)).toEqual(withoutRequestId(missing.body));
}

/** A quota's refusal (HTTP answer or refused handshake): 409, the limit named in `message`, `quota` and `limit`. */
export function expectQuotaRefusal(
  answer: { status: number | undefined; body: unknown },
  message: string,
  quota: string,
  limit: number,
): void {
  expect(answer.status).toBe(409);
  expectErrorBody(answer.body, 409);
  expect(answer.body).toEqual({
    statusCode: 409,
    error: 'Conflict',
    message,
    requestId: expect.any(String),
    quota,
    limit,
  });
}

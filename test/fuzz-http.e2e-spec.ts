import fc from 'fast-check';
import { useTestApp } from './support/app';
import { FuzzEntry, requestFor } from './support/fuzz/http-plans';
import { expectInvariants } from './support/fuzz/invariants';
import { contractViolation, send } from './support/fuzz/send';
import { assertFuzz, fuzzParameters, fuzzTimeout, runsPerOperation } from './support/fuzz/settings';
import { buildWorld, repairWorld, World } from './support/fuzz/world';
import { documentedOperations, OpenApiDocument, Operation } from './support/openapi';

/**
 * Every operation of the app's own OpenAPI document, with what the document cannot say:
 * which kind of resource each path parameter names, and whether a success may use up the
 * world the requests aim at. An operation added to the app and missing here fails the
 * first test, so new routes are fuzzed from the day they exist.
 */
const FUZZ_TABLE: Record<string, FuzzEntry> = {
  'GET /health': {},
  'GET /ready': {},
  'POST /auth/register': {},
  'POST /auth/login': {},
  // A used refresh token presented again revokes its session (reuse detection).
  'POST /auth/refresh': { consumes: true },
  'POST /auth/logout': { consumes: true },
  'GET /auth/me': {},
  'GET /auth/me/export': {},
  // With the right password the account is gone: the repair registers it again.
  'DELETE /auth/me': { consumes: true },
  'GET /auth/sessions': {},
  'DELETE /auth/sessions/{id}': { params: { id: 'session' }, consumes: true },
  'POST /auth/password-reset/request': {},
  'POST /auth/password-reset/confirm': { consumes: true },
  'GET /lists': {},
  'POST /lists': {},
  'POST /lists/join': {},
  'GET /lists/{id}': { params: { id: 'list' } },
  'PATCH /lists/{id}': { params: { id: 'list' } },
  'DELETE /lists/{id}': { params: { id: 'list' }, consumes: true },
  'POST /lists/{id}/leave': { params: { id: 'list' }, consumes: true },
  'DELETE /lists/{id}/members/{userId}': { params: { id: 'list', userId: 'user' }, consumes: true },
  // A rotated invite code is read again.
  'POST /lists/{id}/invite-code': { params: { id: 'list' }, consumes: true },
  'POST /lists/{listId}/items': { params: { listId: 'list' } },
  'PATCH /lists/{listId}/items/{itemId}': { params: { listId: 'list', itemId: 'item' } },
  'DELETE /lists/{listId}/items/{itemId}': { params: { listId: 'list', itemId: 'item' }, consumes: true },
  'POST /ws/ticket': {},
  'GET /lists/{listId}/stores': { params: { listId: 'list' } },
  'POST /lists/{listId}/stores': { params: { listId: 'list' } },
  'POST /lists/{listId}/stores/{storeId}/order': { params: { listId: 'list', storeId: 'store' } },
  'GET /lists/{listId}/trips': { params: { listId: 'list' } },
  // Completing a trip takes the checked items off the list.
  'POST /lists/{listId}/trips': { params: { listId: 'list' }, consumes: true },
  'GET /lists/{listId}/trips/{tripId}': { params: { listId: 'list', tripId: 'trip' } },
  // A new receipt replaces the one whose signed link the world holds.
  'POST /lists/{listId}/trips/{tripId}/receipt': { params: { listId: 'list', tripId: 'trip' }, consumes: true },
  'GET /receipts/{tripId}/{file}': { params: { tripId: 'trip', file: 'file' } },
  'GET /lists/{listId}/suggestions': { params: { listId: 'list' } },
};

/**
 * Runs per operation by default (FUZZ_RUNS sets it); operations that use up the world run
 * half as many, as each success costs a repair.
 */
const RUNS = 60;

/** Errors any operation may answer without documenting them: malformed input, unknown routes, limits. */
const ANY_OPERATION = [400, 404, 413, 415, 429, 503];

function allowedStatuses(op: Operation): Set<number> {
  const documented = Object.keys(op.responses).map(Number);
  return new Set([...documented, ...ANY_OPERATION]);
}

describe('HTTP fuzzing: every operation of /docs-json, valid-ish and junk requests', () => {
  // Small receipts keep "too large" uploads cheap to send. One world for all operations
  // (rebuilt when a request used it up): the invariants are checked over everything.
  // DELETE /auth/me's wrong passwords count as failed sign-ins of the world's account (as they
  // should): past the default 10 the repair could not sign it in again.
  const t = useTestApp({ RECEIPT_MAX_BYTES: '65536', LOGIN_MAX_FAILURES: '10000' }, { reset: false });
  let doc: OpenApiDocument;
  let operations: Map<string, Operation>;
  let world: World;

  beforeAll(async () => {
    doc = (await t.http.get('/docs-json').expect(200)).body as OpenApiDocument;
    operations = new Map(documentedOperations(doc));
    await t.reset();
    world = await buildWorld(t);
  });

  // A failed property may have left the world used up.
  beforeEach(async () => {
    world = await repairWorld(t, world);
  });

  it('should have a fuzz entry for exactly the operations the app documents', () => {
    expect(Object.keys(FUZZ_TABLE).sort()).toEqual([...operations.keys()].sort());
  });

  it.each(Object.keys(FUZZ_TABLE))(
    'should answer %s without a 5xx, always with the error body, and keep the invariants',
    async (key) => {
      const op = operations.get(key);
      if (!op) throw new Error(`${key} is not in /docs-json`);
      const [method, template] = key.split(' ');
      const entry = FUZZ_TABLE[key];
      const runs = entry.consumes ? Math.ceil(runsPerOperation(RUNS) / 2) : runsPerOperation(RUNS);
      const allowed = allowedStatuses(op);
      // A key used again with another body (422) or while its first request runs (409): not in the document.
      const keyed = new Set([...allowed, 409, 422]);
      const statuses = new Map<number, number>();
      await assertFuzz(
        fc.asyncProperty(requestFor(doc, method, template, op, entry), async (plan) => {
          const res = await send(t, world, method, template, plan);
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          const violation = contractViolation(res, 'Idempotency-Key' in plan.headers ? keyed : allowed);
          if (violation) throw new Error(`${key}: ${violation}`);
          if (entry.consumes && res.status < 300) world = await repairWorld(t, world);
        }),
        fuzzParameters(runs),
      );
      if (process.env.FUZZ_STATS) process.stdout.write(`${key}: ${JSON.stringify(Object.fromEntries(statuses))}\n`);
      // Most requests must get past authentication, or the fuzz tested nothing behind it.
      if (op.security?.length) {
        const refused = statuses.get(401) ?? 0;
        expect({ key, mostlyAuthenticated: refused < runs / 3 }).toEqual({ key, mostlyAuthenticated: true });
      }
      await expectInvariants(t, [world.me, world.member, world.other]);
    },
    fuzzTimeout(RUNS, 500),
  );
});

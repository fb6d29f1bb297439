import { expectNoViolations, runScenario } from './support/scenario';

describe('fault 6: a member removed and re-added while their devices reconnect in a loop', () => {
  it('should close the removed member’s sockets, send them nothing committed after the removal, and give them the stream again once re-added', async () => {
    const result = await runScenario({
      name: '6-membership-churn',
      title: 'Bob removed and re-added 4 times while his two devices reconnect every 0.2–0.7 s; Ana and Cleo write',
      churnedMember: true,
      // A re-added member's `since` may predate the removal: the server may answer resync (then the device reloads).
      check: { allowResync: true },
      loadMs: 12_000,
      maxOpsPerClient: 400,
      inject: async (ctx) => {
        const bob = ctx.users.churned!;
        const owner = ctx.client('owner-admin', ctx.users.owner.tokens[0], 0);
        const joiner = ctx.client('bob-join', bob.tokens[0], 1);
        for (let cycle = 0; cycle < 4; cycle++) {
          await ctx.at(1500 + cycle * 2500);
          await ctx.fault(
            `Bob removed (${cycle + 1})`,
            {},
            () =>
              owner.operation(
                'removeMember',
                { userId: bob.id },
                { method: 'DELETE', path: `/lists/${ctx.listId}/members/${bob.id}` },
              ),
            1000 + cycle * 150,
            async () => {
              const list = await owner.operation('get', {}, { method: 'GET', path: `/lists/${ctx.listId}` });
              const { inviteCode } = list.answer as { inviteCode: string };
              await joiner.operation(
                'join',
                { userId: bob.id },
                { method: 'POST', path: '/lists/join', body: { inviteCode }, idempotent: true },
              );
            },
          );
        }
      },
    });
    expectNoViolations(result);
  });
});

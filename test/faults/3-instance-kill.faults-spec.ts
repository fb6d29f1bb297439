import { expectNoViolations, runScenario } from './support/scenario';

describe('fault 3: one instance killed (SIGKILL) under load', () => {
  it('should move clients to the other instance, which completes their retried writes once and resumes their sockets with since', async () => {
    const result = await runScenario({
      name: '3-instance-kill',
      title:
        'Instance b killed with SIGKILL in the middle of a keyed POST; clients move to a (same Idempotency-Key, sockets with since)',
      loadMs: 10_000,
      maxOpsPerClient: 400,
      inject: async (ctx) => {
        // b's database answers slowly from 2 s (until after the kill), so b's requests stay in flight a while …
        await ctx.at(2000);
        const slow = ctx.delayDatabase(['b'], 150, 7000);
        // … and b dies in the middle of one of them: an item add it has begun and not answered.
        await ctx.at(3000);
        if (!(await ctx.postInFlight('b', 400))) throw new Error('no POST was in flight on b');
        await ctx.killInstance('b');
        await slow;
      },
    });
    expectNoViolations(result);
  });
});

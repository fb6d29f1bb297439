import { expectNoViolations, runScenario } from './support/scenario';

describe('fault 4: one instance stopped (SIGTERM) under load', () => {
  it('should drain and exit 0 while clients move to the other instance without losing a write or an event', async () => {
    const result = await runScenario({
      name: '4-instance-term',
      title: 'Instance b stopped with SIGTERM mid-load (drain, exit 0); clients move to a',
      loadMs: 10_000,
      maxOpsPerClient: 400,
      inject: async (ctx) => {
        // b's database answers slowly from 2 s, so b has requests in flight when it goes.
        await ctx.at(2000);
        const slow = ctx.delayDatabase(['b'], 150, 1500);
        await ctx.at(3000);
        await ctx.terminateInstance('b');
        await slow;
      },
    });
    expectNoViolations(result);
  });
});

import { expectNoViolations, runScenario } from './support/scenario';

describe('fault 5: NOTIFY lost (the LISTEN connection cut) while writes go on', () => {
  it('should still deliver every event to the sockets of the instance that missed the notifications', async () => {
    const loadMs = 10_000;
    const result = await runScenario({
      name: '5-notify-lost',
      title: "Instance a's LISTEN backend terminated three times, then a's database connections cut as the load ends",
      // No safety-net sweep: only the listener's catch-up can deliver what NOTIFY lost.
      env: { REALTIME_SWEEP_MS: '600000' },
      loadMs,
      maxOpsPerClient: 400,
      inject: async (ctx) => {
        for (const at of [1500, 3500, 5500]) {
          await ctx.at(at);
          await ctx.terminateListener('a');
        }
        await ctx.at(7500);
        await ctx.terminateListener('b');
        // The last writes (through b) are notified while a listens to nothing, and nothing follows them.
        await ctx.at(loadMs - 800);
        await ctx.cutDatabase(['a'], 'refuse', 1500);
      },
    });
    expectNoViolations(result);
  });
});

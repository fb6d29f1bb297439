import { expectNoViolations, runScenario } from './support/scenario';

describe('fault 5: NOTIFY lost (the LISTEN connection cut) while writes go on', () => {
  it('should still deliver every event to the sockets of the instance that missed the notifications', async () => {
    const result = await runScenario({
      name: '5-notify-lost',
      title:
        "LISTEN backends terminated under load (a three times, b once); then a's LISTEN kept down while 6 items are added through b, nothing after",
      // No safety-net sweep: only the listener's catch-up can deliver what NOTIFY lost.
      env: { REALTIME_SWEEP_MS: '600000' },
      loadMs: 8000,
      maxOpsPerClient: 400,
      inject: async (ctx) => {
        for (const at of [1500, 3500, 5500]) {
          await ctx.at(at);
          await ctx.terminateListener('a');
        }
        await ctx.at(6500);
        await ctx.terminateListener('b');
        // After the load: the last writes are notified while a listens to nothing, and nothing follows them.
        await ctx.at(8500);
        const writer = ctx.client('tail', ctx.users.owner.tokens[0], 1);
        await ctx.loseNotifications('a', () => ctx.addItems(writer, 6), 1000);
      },
    });
    expectNoViolations(result);
  });
});

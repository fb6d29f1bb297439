import { expectNoViolations, runScenario } from './support/scenario';

describe('fault 1: database connections cut and restored under load', () => {
  it('should keep every acknowledged write and every event, answer 503 (never 401 or 500) while cut, and be ready again within 5 s', async () => {
    const result = await runScenario({
      name: '1-database-cut',
      title: 'Database connections cut and restored under a mixed read/write load, sockets open',
      loadMs: 14_000,
      maxOpsPerClient: 400,
      reconnectLoop: true,
      inject: async (ctx) => {
        await ctx.at(2000);
        await ctx.cutDatabase(['a', 'b'], 'refuse', 2500);
        await ctx.at(6500);
        await ctx.delayDatabase(['a', 'b'], 100, 2000);
        await ctx.at(9500);
        await ctx.cutDatabase(['a', 'b'], 'blackhole', 3500);
      },
    });
    expectNoViolations(result);
  });
});

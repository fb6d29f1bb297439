import { expectNoViolations, runScenario } from './support/scenario';

describe('fault 2: the database restarted under load', () => {
  it('should keep every acknowledged write and every event through a stop and start of the cluster, without restarting the servers', async () => {
    const result = await runScenario({
      name: '2-database-restart',
      title: 'The PostgreSQL cluster stopped (fast shutdown) and started again on the same data dir and port',
      restartable: true,
      loadMs: 12_000,
      maxOpsPerClient: 400,
      reconnectLoop: true,
      inject: async (ctx) => {
        await ctx.at(2500);
        await ctx.restartDatabase(3000);
      },
    });
    expectNoViolations(result);
  });
});

/**
 * The fault-injection suite (`npm run test:faults`, not part of `npm test`): real server
 * processes (dist/, so build first), real PostgreSQL behind TCP proxies the tests control.
 * One scenario at a time: they share the machine's two cores with the servers they start.
 * @type {import('jest').Config}
 */
module.exports = {
  rootDir: __dirname,
  moduleFileExtensions: ['ts', 'js', 'json'],
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: [151002] } }],
  },
  testMatch: ['<rootDir>/test/faults/**/*.spec.ts', '<rootDir>/test/faults/**/*.faults-spec.ts'],
  // The checker's own spec first, then the scenarios in a fixed order.
  testSequencer: '<rootDir>/test/faults/support/sequencer.js',
  globalSetup: '<rootDir>/test/faults/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/faults/support/global-teardown.ts',
  maxWorkers: 1,
  testTimeout: 120_000,
};

/**
 * The jest configuration Stryker runs (npm run test:mutation, stryker.config.mjs): jest.config.js's
 * `unit` project, without the PostgreSQL global setup, restricted to the specs of the pure modules
 * Stryker mutates (the service specs need a database and test none of them directly).
 * @type {import('jest').Config}
 */
const { projects } = require('./jest.config');

const unit = projects.find((project) => project.displayName === 'unit');

module.exports = {
  ...unit,
  displayName: undefined,
  // Transpile only: Stryker restarts the test process after every mutant that loops forever, and
  // type-checking the instrumented code again each time costs more than the tests (typecheck runs
  // on the real code in npm run typecheck). The pure modules need no Swagger transformer.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.mutation.json' }] },
  testMatch: [
    '<rootDir>/src/stores/walking-order*.spec.ts',
    '<rootDir>/src/suggestions/repurchase*.spec.ts',
    '<rootDir>/src/common/rate-limit/*.spec.ts',
    '<rootDir>/src/common/concurrency/*.spec.ts',
  ],
  testTimeout: 30_000,
};

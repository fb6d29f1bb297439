// @ts-check
/**
 * Mutation testing of the pure learning and rate-limit modules: `npm run test:mutation`
 * (not part of `npm test`). Results: docs/BENCHMARKS.md, "Mutation testing".
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  jest: { projectType: 'custom', configFile: 'jest.mutation.config.js', enableFindRelatedTests: false },
  mutate: [
    'src/stores/walking-order.ts',
    'src/suggestions/repurchase.ts',
    'src/common/rate-limit/token-bucket.ts',
    'src/common/concurrency/bounded-concurrency.ts',
  ],
  coverageAnalysis: 'perTest',
  thresholds: { high: 90, low: 80, break: 80 },
  reporters: ['clear-text', 'html', 'json', 'progress'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  // The machine's two cores are shared: at most two test processes.
  concurrency: 2,
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
  // The specs run in about a second: a mutant still busy after this (an endless loop) is a timeout.
  timeoutMS: 3_000,
};

/**
 * The browser suite (`npm run test:browser`, which builds first; also run by .ci/run): the built
 * server as a real process, driven by playwright-core in Debian's chromium (CHROMIUM_PATH or
 * `which chromium`; no browser is ever downloaded). One file at a time: each starts its own
 * server and browser on this 2-core machine.
 * @type {import('jest').Config}
 */
module.exports = {
  rootDir: __dirname,
  moduleFileExtensions: ['ts', 'js', 'json'],
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: [151002] } }],
  },
  testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  maxWorkers: 1,
  testTimeout: 30_000,
};

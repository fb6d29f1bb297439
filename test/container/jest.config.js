/**
 * `npm run test:container`: the Dockerfile replayed (a clean `npm ci` takes minutes, so it is
 * not part of `npm test`), with the same setup as the e2e specs (the run's PostgreSQL).
 * @type {import('jest').Config}
 */
const { resolve } = require('node:path');
const base = require('../../jest.config.js');

const e2e = base.projects.find((project) => project.displayName === 'e2e');

module.exports = {
  rootDir: resolve(__dirname, '../..'),
  globalSetup: base.globalSetup,
  globalTeardown: base.globalTeardown,
  projects: [{ ...e2e, displayName: 'container', testMatch: ['<rootDir>/test/container/**/*.replay-spec.ts'] }],
};

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*'],
    reporters: ['default', './tools/vitest-summary-reporter.mjs'],
    // Two cores on CI: run files in parallel, but not more than the machine can carry.
    maxWorkers: 2,
  },
});

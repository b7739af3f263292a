import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'tls-pure',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});

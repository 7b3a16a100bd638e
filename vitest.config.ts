import { defineConfig } from 'vitest/config';

/** Unit and integration tests; integration tests get real servers from the global setup. */
export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', 'data/**', '.tmp/**'],
    globalSetup: ['tests/setup/global-setup.ts'],
    // Real servers (and the first run's apt-get install) are slower than unit tests.
    testTimeout: 30_000,
    pool: 'forks',
  },
});

import { defineConfig } from 'vitest/config';

/**
 * One run for every workspace: each service's tests live in `<service>/test/`. The global
 * setup provides PostgreSQL once; each test file then makes its own database and stream.
 */
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  test: {
    include: ['*/test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'e2e/**'],
    globalSetup: ['common/src/testkit/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});

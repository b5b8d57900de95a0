import { defineConfig } from 'vitest/config';

/**
 * One run for every workspace: each service's tests live in `<service>/test/`, whole-system
 * tests in `e2e/`. The global setup provides PostgreSQL and a NATS server (2.10+) once; each
 * test file then makes its own databases and stream.
 */
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  // The global setup is loaded in Vitest's own environment, which takes neither of the above.
  environments: { __vitest__: { resolve: { conditions: ['source'], externalConditions: ['source'] } } },
  test: {
    include: ['*/test/**/*.test.ts', 'e2e/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    globalSetup: ['testkit/src/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});

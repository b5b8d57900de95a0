import { defineConfig } from 'vitest/config';

/**
 * `npm run test:containers`: the images built and the whole system run as containers (see
 * setup.ts). Apart from `npm test`, whose run it would more than double; CI runs both.
 */
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  environments: { __vitest__: { resolve: { conditions: ['source'], externalConditions: ['source'] } } },
  test: {
    include: ['infra/containers/*.test.ts'],
    globalSetup: ['infra/containers/setup.ts'],
    testTimeout: 180_000,
    // Stand-in bases and every image from nothing take about 12 minutes on two cores.
    hookTimeout: 60 * 60_000,
    fileParallelism: false,
    pool: 'forks',
  },
});

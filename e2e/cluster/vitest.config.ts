import { defineConfig } from 'vitest/config';

/**
 * `npm run test:cluster`: the purchase tests against a deployed cluster's entry point
 * (E2E_BASE_URL), run by scripts/kind-e2e.sh after `skaffold run`. Not part of `npm test`:
 * they need a cluster, which only the kind job in CI (or a machine with Docker) has. Their
 * files are named *.cluster.ts, which the root config's *.test.ts patterns never pick up.
 */
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  environments: { __vitest__: { resolve: { conditions: ['source'], externalConditions: ['source'] } } },
  test: {
    include: ['e2e/cluster/*.cluster.ts'],
    // A cluster on a CI runner: the dev images run TypeScript through tsx, and a killed pod
    // takes its replacement's start (and JetStream's 30 s redelivery) to recover.
    testTimeout: 5 * 60_000,
    hookTimeout: 60_000,
    // The pod kills would disturb purchases another file runs at the same time.
    fileParallelism: false,
    pool: 'forks',
  },
});

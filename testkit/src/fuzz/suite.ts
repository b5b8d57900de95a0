import type { Arbitrary } from 'fast-check';
import { it } from 'vitest';
import type { FuzzRequest } from './requests.js';
import { rawRequests } from './raw-http.js';
import { fuzzRuns, fuzzTimeout, type FuzzTarget } from './target.js';

export interface ApiFuzzSuite {
  /** The target, once the file's beforeAll has started it. */
  target: () => FuzzTarget;
  /** Generated requests to the service's endpoints. */
  requests: () => Arbitrary<FuzzRequest>;
  /** Cases of the main property when FUZZ_RUNS is not set. */
  runs: number;
  /** Time budget per case of the main property (more where a request runs scrypt, say). */
  msPerCase?: number;
  /** Paths and a body the raw malformed requests are aimed at. */
  raw: () => { paths: string[]; body: Arbitrary<unknown> };
}

/**
 * The three properties every service's API is fuzzed with: generated requests one at a time,
 * batches sent at once (double submits, racing buyers), and raw bytes that node's HTTP parser
 * must refuse. Each checks what startFuzzTarget checks: no 5xx, the error shape, no change.
 */
export function itKeepsItsContractUnderFuzzing(suite: ApiFuzzSuite) {
  const runs = fuzzRuns(suite.runs);
  it(
    `when ${runs} generated requests arrive, then none gets a 5xx, every 4xx is in the error shape and a refused one changes nothing`,
    () => suite.target().run(suite.requests(), runs),
    fuzzTimeout(runs, suite.msPerCase),
  );

  const togetherRuns = fuzzRuns(80, 0.1);
  it(
    `when ${togetherRuns} batches of requests arrive at once, then none gets a 5xx, every 4xx is in the error shape and refused ones change nothing`,
    () => suite.target().runTogether(suite.requests(), togetherRuns),
    fuzzTimeout(togetherRuns, 400),
  );

  const rawRuns = fuzzRuns(100, 0.5);
  it(
    `when ${rawRuns} malformed HTTP requests arrive, then each answer is in the error shape and nothing changes`,
    () => {
      const { paths, body } = suite.raw();
      return suite.target().runRaw(rawRequests(paths, body), rawRuns);
    },
    fuzzTimeout(rawRuns),
  );
}

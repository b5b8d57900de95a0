/**
 * Fuzzing kit: fast-check arbitraries for hostile HTTP input, and a target that sends each
 * generated request to a service's real app (real PostgreSQL, real NATS) and checks what every
 * answer must keep to (docs/design.md §3): never a 5xx, every 4xx in the error shape
 * `{"errors":[{"message","field"?}]}`, and a refused request leaves every table as it was.
 *
 * Cases per property: FUZZ_RUNS (times the property's share) if set (`npm run fuzz` sets it),
 * else the test's own small count. fast-check picks the seed and prints it with any
 * counterexample, for replay.
 */
export { cookieHeader, invalidSessionCookies } from './sessions.js';
export { pathId, probeEndpoints, requestsTo, type Endpoint, type FuzzRequest } from './requests.js';
export {
  expectUtf8IfRead,
  fuzzRuns,
  fuzzTimeout,
  sentJson,
  startFuzzTarget,
  type FuzzResponse,
  type FuzzTarget,
} from './target.js';
export { itKeepsItsContractUnderFuzzing } from './suite.js';

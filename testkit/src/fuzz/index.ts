/**
 * Fuzzing kit: fast-check arbitraries for hostile HTTP input, and a target that sends each
 * generated request to a service's real app (real PostgreSQL, real NATS) and checks what every
 * answer must keep to (DESIGN.md §3): never a 5xx, every 4xx in the error shape
 * `{"errors":[{"message","field"?}]}`, and a refused request leaves every table as it was.
 *
 * Cases per property: FUZZ_RUNS (times the property's share) if set (`npm run fuzz` sets it),
 * else the test's own small count. fast-check picks the seed and prints it with any
 * counterexample, for replay.
 */
export * from './values.js';
export * from './bodies.js';
export * from './requests.js';
export * from './sessions.js';
export * from './raw-http.js';
export * from './target.js';
export * from './suite.js';

import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NatsServer } from '@ticketing/devkit/system/nats-server';
import { startStripeStandIn, type StripeStandIn } from '@ticketing/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missedFaults, startFaults, type FaultPlan } from './chaos/faults.js';
import { checkInvariants } from './chaos/invariants.js';
import { ChaosPostgres } from './chaos/postgres.js';
import { formatReport } from './chaos/report.js';
import { runWorkload, sleep, type WorkloadOptions } from './chaos/workload.js';
import { RunningSystem } from './system.js';

/**
 * The chaos run: the whole system on a NATS server and a PostgreSQL of its own, purchase flows
 * from many users at once, a random service SIGKILLed and restarted every few seconds, and
 * longer faults at set times: a service frozen past the ack wait, NATS restarted, one service's
 * database gone for longer than a listener used to retry; then every invariant is checked from
 * the databases, JetStream and the fake Stripe's ledger. `npm test` runs a short version (2-3
 * minutes); `npm run chaos` (CHAOS=full) runs hundreds of flows through minutes-long outages, a
 * database for 2-3 minutes, PostgreSQL restarted, NATS away for 2 minutes (about 10 minutes).
 */
interface ChaosPlan {
  workload: Pick<WorkloadOptions, 'flows' | 'concurrency' | 'users' | 'spreadOverMs'>;
  /** Each fault's time is counted from the start of the workload. */
  faults: FaultPlan;
  /** After the workload and the faults stop, how long the system has to settle. */
  graceMs: number;
  timeoutMs: number;
}

const full = process.env.CHAOS === 'full';
const plan: ChaosPlan = full
  ? {
      workload: { flows: 400, concurrency: 16, users: 40, spreadOverMs: 420_000 },
      faults: {
        minGapMs: 2000,
        maxGapMs: 4000,
        freeze: { afterMs: 20_000, forMs: 10_000 },
        natsRestart: { afterMs: 45_000, signal: 'SIGKILL' },
        databaseOutage: { afterMs: 60_000, minMs: 120_000, maxMs: 180_000 },
        postgresRestart: { afterMs: 260_000, downMs: 10_000 },
        natsOutage: { afterMs: 300_000, forMs: 120_000 },
      },
      graceMs: 120_000,
      timeoutMs: 15 * 60_000,
    }
  : {
      workload: { flows: 40, concurrency: 8, users: 12, spreadOverMs: 100_000 },
      faults: {
        minGapMs: 2000,
        maxGapMs: 4000,
        freeze: { afterMs: 5_000, forMs: 5_000 },
        natsRestart: { afterMs: 12_000, signal: 'SIGTERM' },
        // Longer than the 8 deliveries (about 62 s) after which a failing event used to be dead-lettered.
        databaseOutage: { afterMs: 20_000, minMs: 75_000, maxMs: 90_000 },
      },
      graceMs: 60_000,
      timeoutMs: 300_000,
    };
/** Short enough that the run sees orders expire, long enough to pay while services restart. */
const WINDOW_SECONDS = 12;
const CHARGE_LATENCY_MS = 800;
/** A flow waits out the longest outage, and then some, before it gives up on a service or an event. */
const PATIENCE_MS = Math.max(plan.faults.databaseOutage.maxMs, plan.faults.natsOutage?.forMs ?? 0) + 60_000;

const dir = join(fileURLToPath(new URL('..', import.meta.url)), '.test-results', 'chaos', `run-${Date.now()}`);
let nats: NatsServer;
let postgres: ChaosPostgres;
let stripe: StripeStandIn;
let system: RunningSystem;

beforeAll(async () => {
  mkdirSync(dir, { recursive: true });
  // Servers of the run's own, so stopping them does not disturb the ones other tests use.
  nats = await NatsServer.start({ storeDir: join(dir, 'nats-store'), logFile: join(dir, 'nats-server.log') });
  postgres = await ChaosPostgres.start();
  // Payments charge through the Stripe provider against a fake Stripe that keeps a ledger, so the
  // money taken can be checked against the payments recorded. Each charge takes a round trip,
  // so payments made at the deadline race the expiry.
  stripe = await startStripeStandIn(undefined, { latencyMs: CHARGE_LATENCY_MS });
  system = await RunningSystem.start({
    natsUrl: nats.url,
    databaseAdminUrl: postgres.adminUrl,
    // Five services starting at once on a machine shared with other tests: a slow start is no fault.
    readyTimeoutMs: 90_000,
    env: {
      EXPIRATION_WINDOW_SECONDS: String(WINDOW_SECONDS),
      STRIPE_SECRET_KEY: 'sk_test_chaos',
      STRIPE_API_URL: stripe.url,
      // A charge whose answer a kill cut off is settled with the fake Stripe (kept or refunded)
      // this long after, within the run's grace; the fake answers in a second, Stripe may not.
      PAYMENT_ATTEMPT_RESOLVE_AFTER_SECONDS: '15',
    },
  });
}, 240_000);

afterAll(async () => {
  await system?.stop();
  await nats?.stop();
  await postgres?.remove();
  await stripe?.close();
  rmSync(join(dir, 'nats-store'), { recursive: true, force: true });
}, 120_000);

describe(`chaos run (${full ? 'full' : 'short'})`, () => {
  it(
    'when services are killed and frozen, a database, PostgreSQL and NATS go away during purchases, then every invariant holds afterwards',
    async () => {
      const started = Date.now();
      const faults = startFaults(system, { nats, postgres }, plan.faults);
      const workload = await runWorkload(system, {
        ...plan.workload,
        rivalShare: 0.25,
        chargeLatencyMs: CHARGE_LATENCY_MS,
        patienceMs: PATIENCE_MS,
      }).finally(() => faults.stop());
      const { figures } = faults;
      const workloadDone = Date.now();

      // Let the system settle: expiries fire, consumers catch up, outboxes drain.
      let check = await checkInvariants(system, workload.records, stripe.fake.charges());
      while (check.violations.length > 0 && Date.now() - workloadDone < plan.graceMs) {
        await sleep(2000);
        check = await checkInvariants(system, workload.records, stripe.fake.charges());
      }
      const violations = [
        ...workload.failures,
        ...figures.failedRestarts.map((r) => `restart failed: ${r}`),
        ...figures.crashes,
        ...missedFaults(plan.faults, figures),
        ...check.violations,
      ];
      const report = formatReport({
        mode: full ? 'full' : 'short',
        flows: workload.records,
        faults: figures,
        events: check.events,
        refunded: check.refunded,
        violations,
        durationMs: Date.now() - started,
        settleMs: Date.now() - workloadDone,
      });
      console.log(report);
      expect(violations, report).toEqual([]);
    },
    plan.timeoutMs,
  );
});

import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NatsServer } from '@ticketing/devkit/system/nats-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaults } from './chaos/faults.js';
import { checkInvariants } from './chaos/invariants.js';
import { formatReport } from './chaos/report.js';
import { runWorkload, sleep } from './chaos/workload.js';
import { RunningSystem } from './system.js';

/**
 * The chaos run: the whole system on a NATS server of its own and PostgreSQL, purchase flows
 * from many users at once, a random service SIGKILLed and restarted every few seconds, the
 * NATS server restarted once; then every invariant is checked from the databases and
 * JetStream. `npm test` runs a short version (about a minute); `npm run chaos` (CHAOS=full)
 * runs hundreds of flows in a few minutes and SIGKILLs the NATS server too.
 */
const full = process.env.CHAOS === 'full';
const plan = full
  ? {
      flows: 400,
      concurrency: 16,
      users: 40,
      spreadOverMs: 180_000,
      natsRestartAfterMs: 60_000,
      natsSignal: 'SIGKILL' as const,
      timeoutMs: 15 * 60_000,
    }
  : {
      flows: 40,
      concurrency: 8,
      users: 12,
      spreadOverMs: 30_000,
      natsRestartAfterMs: 12_000,
      natsSignal: 'SIGTERM' as const,
      timeoutMs: 170_000,
    };
/** Short enough that the run sees orders expire, long enough to pay while services restart. */
const WINDOW_SECONDS = 12;
const CHARGE_LATENCY_MS = 800;
/** After the workload and the faults stop, how long the system has to settle. */
const GRACE_MS = 60_000;

const dir = join(fileURLToPath(new URL('..', import.meta.url)), '.test-results', 'chaos', `run-${Date.now()}`);
let nats: NatsServer;
let system: RunningSystem;

beforeAll(async () => {
  mkdirSync(dir, { recursive: true });
  // A server of the run's own, so restarting it does not disturb the shared one other tests use.
  nats = await NatsServer.start({ storeDir: join(dir, 'nats-store'), logFile: join(dir, 'nats-server.log') });
  system = await RunningSystem.start({
    natsUrl: nats.url,
    // Charges take a provider's round trip, so payments made at the deadline race the expiry.
    env: { EXPIRATION_WINDOW_SECONDS: String(WINDOW_SECONDS), SANDBOX_CHARGE_LATENCY_MS: String(CHARGE_LATENCY_MS) },
  });
}, 120_000);

afterAll(async () => {
  await system?.stop();
  await nats?.stop();
  rmSync(join(dir, 'nats-store'), { recursive: true, force: true });
}, 120_000);

describe(`chaos run (${full ? 'full' : 'short'})`, () => {
  it(
    'when services are killed and NATS restarts during purchases, then every invariant holds afterwards',
    async () => {
      const started = Date.now();
      const faults = startFaults(system, nats, { minGapMs: 2000, maxGapMs: 4000, ...plan });
      const workload = await runWorkload(system, { ...plan, rivalShare: 0.25, chargeLatencyMs: CHARGE_LATENCY_MS }).finally(() => faults.stop());
      const { figures } = faults;
      const workloadDone = Date.now();

      // Let the system settle: expiries fire, consumers catch up, outboxes drain.
      let check = await checkInvariants(system, workload.records);
      while (check.violations.length > 0 && Date.now() - workloadDone < GRACE_MS) {
        await sleep(2000);
        check = await checkInvariants(system, workload.records);
      }
      const violations = [
        ...workload.failures,
        ...figures.failedRestarts.map((r) => `restart failed: ${r}`),
        ...(figures.natsRestarts === 1 ? [] : [`NATS was restarted ${figures.natsRestarts} times, not once`]),
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

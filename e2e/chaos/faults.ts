import type { NatsServer } from '@ticketing/devkit/system/nats-server';
import { shutOffDatabase } from '@ticketing/testkit';
import { SERVICES, type RunningSystem, type ServiceName } from '../system.js';
import type { ChaosPostgres } from './postgres.js';
import { sleep } from './workload.js';

/** The services the chaos run kills (every one); each is restarted a moment later. */
export const KILLABLE: readonly ServiceName[] = SERVICES;

/** The services that consume events: freezing one or taking its database away holds events up. */
export const LISTENING: readonly ServiceName[] = ['tickets', 'orders', 'expiration', 'payments'];

/** A fault that comes once, this long after the faults start. */
interface Timed {
  afterMs: number;
}

export interface FaultPlan {
  /** A kill every `minGapMs`-`maxGapMs`. */
  minGapMs: number;
  maxGapMs: number;
  /**
   * NATS stopped and started at once. SIGKILL also drops what the server had not yet written
   * to its store; SIGTERM lets it shut down cleanly (clients still see it go and come back).
   */
  natsRestart: Timed & { signal: NodeJS.Signals };
  /** A listening service SIGSTOPped for `forMs`, longer than the ack wait, then SIGCONTinued. */
  freeze: Timed & { forMs: number };
  /** A listening service's database refuses connections for `minMs`-`maxMs`. */
  databaseOutage: Timed & { minMs: number; maxMs: number };
  /** NATS stopped, and started again only after `forMs`. */
  natsOutage?: Timed & { forMs: number };
  /** PostgreSQL (every database) stopped, and started again after `downMs`. */
  postgresRestart?: Timed & { downMs: number };
}

/** A fault that lasted: what it hit and how long. */
export interface Outage {
  what: string;
  forMs: number;
}

export interface FaultFigures {
  kills: Partial<Record<ServiceName, number>>;
  natsRestarts: number;
  freezes: Outage[];
  databaseOutages: Outage[];
  natsOutages: Outage[];
  postgresRestarts: Outage[];
  /** Restarts that failed (the service did not come back ready): each is a violation. */
  failedRestarts: string[];
  /** Services that exited though nothing killed them (then restarted): each is a violation. */
  crashes: string[];
}

/**
 * Kills a random service with SIGKILL every few seconds and starts it again, and brings each
 * fault of the plan once, at its time, until `stop()`; `stop()` waits for every planned fault
 * to have ended and for every service to be back up.
 *
 * Kills and the faults that take NATS or PostgreSQL away never overlap: a service cannot
 * start without them, and the run tests riding out outages, not starting into one. A frozen
 * service, or one whose database is off, is not killed meanwhile.
 */
export function startFaults(system: RunningSystem, infra: { nats: NatsServer; postgres: ChaosPostgres }, plan: FaultPlan) {
  const figures: FaultFigures = {
    kills: {},
    natsRestarts: 0,
    freezes: [],
    databaseOutages: [],
    natsOutages: [],
    postgresRestarts: [],
    failedRestarts: [],
    crashes: [],
  };
  let stopped = false;
  const spared = new Set<ServiceName>();
  const exclusive = serialized();
  // Pauses that stop() cuts short.
  const wakers = new Set<() => void>();
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      wakers.add(wake);
    });

  /** Runs `fault` on a service no kill is restarting, sparing it from kills while it lasts; returns how long it took. */
  const onService = async (fault: (service: ServiceName) => Promise<void>) => {
    const service = await exclusive(async () => {
      const s = pick(LISTENING.filter((l) => !spared.has(l)));
      spared.add(s);
      return s;
    });
    const took = await timed(() => fault(service));
    spared.delete(service);
    return { what: service, forMs: took };
  };

  // Not cut short by stop(): every run has each planned fault, even one whose workload ends early.
  const planned = [
    at(plan.natsRestart, () =>
      exclusive(async () => {
        await infra.nats.restart(plan.natsRestart.signal);
        figures.natsRestarts++;
      }),
    ),
    at(plan.freeze, async () => {
      const outage = await onService(async (service) => {
        system.signal(service, 'SIGSTOP');
        await sleep(plan.freeze.forMs);
        system.signal(service, 'SIGCONT');
      });
      figures.freezes.push(outage);
    }),
    at(plan.databaseOutage, async () => {
      const { minMs, maxMs } = plan.databaseOutage;
      const outage = await onService(async (service) => {
        const off = await shutOffDatabase(system.databaseUrl(service));
        await sleep(minMs + Math.random() * (maxMs - minMs));
        await off.restore();
      });
      figures.databaseOutages.push(outage);
    }),
    at(plan.natsOutage, ({ forMs }) =>
      exclusive(async () => {
        const took = await timed(async () => {
          await infra.nats.stop();
          await sleep(forMs);
          await infra.nats.startAgain();
        });
        figures.natsOutages.push({ what: 'NATS', forMs: took });
      }),
    ),
    at(plan.postgresRestart, ({ downMs }) =>
      exclusive(async () => {
        const took = await timed(() => infra.postgres.restart(downMs));
        figures.postgresRestarts.push({ what: 'PostgreSQL', forMs: took });
      }),
    ),
  ];

  /** Restarts the services that exited by themselves (not one whose database is off: it could not start yet). */
  const restartCrashed = async () => {
    for (const service of system.exitedByThemselves()) {
      if (spared.has(service)) continue;
      figures.crashes.push(`${service} exited by itself; see ${system.logDir}/${service}.log`);
      await restart(system, service, figures);
    }
  };

  const killLoop = (async () => {
    for (;;) {
      await pause(plan.minGapMs + Math.random() * (plan.maxGapMs - plan.minGapMs));
      if (stopped) return;
      await exclusive(async () => {
        await restartCrashed();
        const service = pick(KILLABLE.filter((s) => !spared.has(s)));
        await system.kill(service);
        figures.kills[service] = (figures.kills[service] ?? 0) + 1;
        await sleep(100 + Math.random() * 900);
        await restart(system, service, figures);
      });
    }
  })();

  return {
    figures,
    async stop(): Promise<FaultFigures> {
      stopped = true;
      for (const wake of [...wakers]) wake();
      await Promise.all([killLoop, ...planned]);
      await exclusive(restartCrashed);
      return figures;
    },
  };
}

/** The planned faults that did not happen as planned, as sentences. */
export function missedFaults(plan: FaultPlan, figures: FaultFigures): string[] {
  const expected: [string, boolean, number][] = [
    ['NATS restart', true, figures.natsRestarts],
    ['freeze', true, figures.freezes.length],
    ['database outage', true, figures.databaseOutages.length],
    ['NATS outage', !!plan.natsOutage, figures.natsOutages.length],
    ['PostgreSQL restart', !!plan.postgresRestart, figures.postgresRestarts.length],
  ];
  return expected
    .filter(([, planned, happened]) => happened !== (planned ? 1 : 0))
    .map(([what, planned, happened]) => `${what}: ${happened} happened, ${planned ? 1 : 0} planned`);
}

/** Runs `fault` with the plan's entry at its time; nothing when the plan has none. */
async function at<T extends Timed>(timing: T | undefined, fault: (timing: T) => Promise<unknown>): Promise<void> {
  if (!timing) return;
  await sleep(timing.afterMs);
  await fault(timing);
}

/** One at a time, in the order asked: kills and infrastructure faults take turns. */
function serialized() {
  let last: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = last.then(fn);
    last = run.catch(() => {});
    return run;
  };
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const started = Date.now();
  await fn();
  return Date.now() - started;
}

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)]!;
}

/** Starts the service again; a start that fails is retried. */
async function restart(system: RunningSystem, service: ServiceName, figures: FaultFigures) {
  for (let attempt = 1; ; attempt++) {
    try {
      await system.startService(service);
      return;
    } catch (err) {
      await system.kill(service);
      if (attempt >= 3) {
        figures.failedRestarts.push(`${service}: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
      await sleep(1000);
    }
  }
}

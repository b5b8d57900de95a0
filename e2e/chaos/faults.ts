import type { NatsServer } from '@ticketing/devkit/system/nats-server';
import { SERVICES, type RunningSystem, type ServiceName } from '../system.js';
import { sleep } from './workload.js';

/** The services the chaos run kills (every one); each is restarted a moment later. */
export const KILLABLE: readonly ServiceName[] = SERVICES;

export interface FaultOptions {
  /** A kill every `minGapMs`-`maxGapMs`. */
  minGapMs: number;
  maxGapMs: number;
  /** The NATS server is restarted once, this long after the faults start... */
  natsRestartAfterMs: number;
  /**
   * ...stopped with this signal. SIGKILL also drops what the server had not yet written to
   * its store; SIGTERM lets it shut down cleanly (clients still see it go and come back).
   */
  natsSignal: NodeJS.Signals;
}

export interface FaultFigures {
  kills: Partial<Record<ServiceName, number>>;
  natsRestarts: number;
  /** Restarts that failed (the service did not come back ready): each is a violation. */
  failedRestarts: string[];
}

/**
 * Kills a random service with SIGKILL every few seconds and starts it again, and restarts
 * the NATS server once, until `stop()`; `stop()` waits for the NATS restart
 * and for every service to be back up.
 */
export function startFaults(system: RunningSystem, nats: NatsServer, options: FaultOptions) {
  const figures: FaultFigures = { kills: {}, natsRestarts: 0, failedRestarts: [] };
  let stopped = false;
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

  // Not cut short by stop(): every run restarts NATS once, even one whose workload ends early.
  const restartNats = (async () => {
    await sleep(options.natsRestartAfterMs);
    await nats.restart(options.natsSignal);
    figures.natsRestarts++;
  })();

  const killLoop = (async () => {
    for (;;) {
      await pause(options.minGapMs + Math.random() * (options.maxGapMs - options.minGapMs));
      if (stopped) return;
      const service = KILLABLE[Math.floor(Math.random() * KILLABLE.length)]!;
      await system.kill(service);
      figures.kills[service] = (figures.kills[service] ?? 0) + 1;
      await sleep(100 + Math.random() * 900);
      await restart(system, service, figures);
    }
  })();

  return {
    figures,
    async stop(): Promise<FaultFigures> {
      stopped = true;
      for (const wake of [...wakers]) wake();
      await Promise.all([killLoop, restartNats]);
      return figures;
    },
  };
}

/** Starts the service again; a start that fails (e.g. NATS down at that moment) is retried. */
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

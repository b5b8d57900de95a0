import type { Logger } from 'pino';
import { outsideTrace } from '../bus/trace.js';
import type { ServiceContext } from './context.js';

/**
 * Work a service runs beside its HTTP server and its listeners: a pass on a timer (refunds,
 * pruning) or a queue of jobs. A service declares its workers in main.ts; `runService` starts
 * them before the listeners, makes `/readyz` fail while one is not running, and stops them on
 * shutdown before the outbox relay's last pass and before the database pool ends.
 */
export interface Worker {
  /** Its name in `/readyz` and in logs. */
  readonly name: string;
  start(): Promise<void>;
  /** Finishes the work in hand; nothing of it writes after this resolves. */
  stop(): Promise<void>;
  /** True between `start()` and `stop()`. */
  readonly running: boolean;
}

/** Ties a worker into the service's life: `/readyz` follows it and closing the service stops it. */
export function attachWorker(service: ServiceContext, worker: Worker) {
  service.readinessChecks[worker.name] = () => worker.running;
  service.onClose(() => worker.stop());
}

export interface PeriodicOptions {
  intervalMs: number;
  logger: Logger;
  /** After failed passes the timer waits longer, doubling up to this (default 60 s), until one succeeds. */
  maxBackoffMs?: number;
}

/**
 * Runs `pass` at start, every `intervalMs` and whenever `kick()` asks. Passes never overlap: a
 * kick during one causes one more right after it. A failed pass is logged and a later one tries
 * again, so a pass must be safe to repeat (each works from what the database holds). While
 * passes fail (a dependency down), the timer backs off, so an outage is a few log lines, not
 * one a second; the first pass that succeeds brings the interval back.
 */
export class PeriodicWorker implements Worker {
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> | undefined;
  private again = false;
  private state: 'new' | 'running' | 'stopped' = 'new';
  private failures = 0;
  private retryAt = 0;

  constructor(
    readonly name: string,
    private readonly pass: () => Promise<unknown>,
    private readonly options: PeriodicOptions,
  ) {}

  get running() {
    return this.state === 'running';
  }

  async start() {
    this.state = 'running';
    this.kick();
    this.timer = setInterval(() => {
      if (Date.now() >= this.retryAt) this.kick();
    }, this.options.intervalMs);
    this.timer.unref();
  }

  /** Asks for a pass soon (before `start()` too: a commit kicks the relay in tests that never start it). */
  kick() {
    if (this.state === 'stopped') return;
    if (this.current) {
      this.again = true;
      return;
    }
    // Whoever kicked it, a pass is the worker's own: it runs, and logs, in no request's trace.
    this.current = outsideTrace(() =>
      this.pass()
        .then(() => this.succeeded())
        .catch((err) => this.failed(err))
        .finally(() => {
          this.current = undefined;
          if (this.again) {
            this.again = false;
            this.kick();
          }
        }),
    );
  }

  private succeeded() {
    if (this.failures > 0) this.options.logger.info({ worker: this.name, failures: this.failures }, 'pass succeeded again');
    this.failures = 0;
    this.retryAt = 0;
  }

  private failed(err: unknown) {
    this.failures++;
    const waitMs = Math.min(this.options.intervalMs * 2 ** this.failures, this.options.maxBackoffMs ?? 60_000);
    this.retryAt = Date.now() + waitMs;
    this.options.logger.warn({ err, worker: this.name, failures: this.failures, retryInMs: waitMs }, 'pass failed; will retry');
  }

  /** Resolves once no pass is under way (the one in hand and any it asked to follow). */
  async idle() {
    while (this.current) await this.current;
  }

  async stop() {
    this.state = 'stopped';
    clearInterval(this.timer);
    await this.idle();
  }
}

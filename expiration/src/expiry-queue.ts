import { childTraceparent, PreparingClient, runWithTrace, type ServiceContext, type Tx, type Worker } from '@ticketing/common';
import { drizzle } from 'drizzle-orm/node-postgres';
import { PgBoss, type ConstructorOptions, type Db, type JobWithMetadata, type QueueOptions } from 'pg-boss';
import { movePgBoss10Jobs, setAsidePgBoss10 } from './pg-boss-10-upgrade.js';

/**
 * The expiration service's timers: one pg-boss job per order, due at the order's `expiresAt`,
 * stored in the service's own database (schema `pgboss`), so they survive restarts and are
 * shared by every replica. pg-boss fetches due jobs with `FOR UPDATE SKIP LOCKED`, so each
 * job runs on one replica only.
 */
export const EXPIRY_QUEUE = 'order-expiry';

/** What each job holds. */
export interface ExpiryJob {
  orderId: string;
  /**
   * The trace of the order.created that scheduled it: the job runs in a child span of it, so the
   * expiry is logged, and its expiration.complete published, in the order's trace. Jobs
   * scheduled before it was kept have none and start a trace of their own.
   */
  traceparent?: string;
}

/**
 * Called once an order's time is up, inside a transaction that also marks its job complete:
 * whatever it writes (the expiration.complete outbox row) commits together with the job's
 * completion, or neither does and the job runs again.
 */
export type ExpiryHandler = (tx: Tx, orderId: string) => Promise<void>;

export interface ExpiryQueueOptions {
  /** What runs each due job; without it this replica only schedules jobs and runs none. */
  handler?: ExpiryHandler;
  /** How often an idle worker looks for due jobs; also the most a job runs late. */
  pollingIntervalSeconds: number;
  /** Due jobs fetched (and handled one by one) per poll. */
  batchSize: number;
}

const defaultOptions: Required<Omit<ExpiryQueueOptions, 'handler'>> = { pollingIntervalSeconds: 0.5, batchSize: 50 };

/**
 * Stored on the queue (pg-boss reads them when a job is inserted). A failed job is retried
 * after 1-2 s, then with doubling delays: 1 to 2 hours of retries in all (enough to ride
 * out a database outage) before it is marked `failed` and logged as an error.
 */
const queueOptions: QueueOptions = {
  retryLimit: 12,
  retryDelay: 1,
  retryBackoff: true,
  // A job active this long (its replica died mid-batch) is failed by supervision and retried,
  // so a crash makes an order expire this much late at most. A batch takes milliseconds.
  expireInSeconds: 15,
};

/** PostgreSQL's "deadlock detected". */
const DEADLOCK = '40P01';

/** How the service's pg-boss connects and looks after its jobs. */
export function pgBossOptions(service: ServiceContext): ConstructorOptions {
  // pg-boss hands its database options to its pg.Pool as they are: its connections prepare their
  // statements once, as the service's own do (common's PreparingClient). Its job insert and its
  // supervision queries over the partitioned job table cost more to plan than to run.
  const poolOptions = { Client: PreparingClient } as ConstructorOptions;
  return {
    ...poolOptions,
    connectionString: service.config.DATABASE_URL,
    schema: 'pgboss',
    application_name: `${service.name}-pgboss`,
    max: 5,
    // No cron schedules here: skip pg-boss's clock-keeping queues.
    schedule: false,
    // Supervision (shared by replicas) passes every 5 s; its monitor step fails and retries jobs
    // left active by a dead replica (the deletion of old jobs keeps its daily default). The
    // first pass comes one interval after start: a long interval never comes for a replica
    // that keeps being restarted, and a dead replica's jobs would wait for it.
    supervise: true,
    superviseIntervalSeconds: 5,
    monitorIntervalSeconds: 5,
  };
}

/** The service's one worker: `runService` starts it before the listeners that schedule its jobs. */
export class ExpiryQueue implements Worker {
  readonly name = 'expiryQueue';
  private readonly boss: PgBoss;
  private readonly options: ExpiryQueueOptions;
  private state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  private stopping: Promise<void> | undefined;
  private workerId: string | undefined;
  /** Batches being handled, so `stop()` can wait for one still running when pg-boss stops. */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly service: ServiceContext,
    options: Partial<ExpiryQueueOptions> = {},
  ) {
    this.options = { ...defaultOptions, ...options };
    this.boss = new PgBoss(pgBossOptions(service));
    // Without a listener, an 'error' event (e.g. the database restarting) would crash the process.
    this.boss.on('error', (err) => service.logger.error({ err }, 'pg-boss error'));
    this.boss.on('warning', ({ message, data }) => service.logger.warn({ data }, message));
  }

  /** True between `start()` and `stop()`: readiness depends on it. */
  get running(): boolean {
    return this.state === 'running';
  }

  /**
   * Installs or migrates pg-boss's schema and creates the queue (both safe with replicas racing),
   * then starts the worker if there is a handler. The first start on a pg-boss 10 database moves
   * its jobs over (see pg-boss-10-upgrade.ts).
   */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`expiry queue cannot start: it is ${this.state}`);
    const { database, logger } = this.service;
    await setAsidePgBoss10(database);
    await this.boss.start();
    await this.ensureQueue();
    const moved = await movePgBoss10Jobs(database, EXPIRY_QUEUE);
    if (moved !== undefined) logger.info({ jobs: moved }, 'expiry jobs moved over from pg-boss 10');
    this.state = 'running';
    if (this.options.handler) await this.work(this.options.handler);
  }

  /**
   * Creates the queue (nothing if it exists) and gives it this code's settings. Replicas on a
   * fresh schema race here. pg-boss 12 creates queues under a lock, but should PostgreSQL still
   * abort one as a deadlock (40P01, as pg-boss 10 did, attaching a partition per queue), it tries
   * again.
   */
  private async ensureQueue() {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.boss.createQueue(EXPIRY_QUEUE, queueOptions); // does nothing if it exists
        await this.boss.updateQueue(EXPIRY_QUEUE, queueOptions);
        return;
      } catch (err) {
        if ((err as { code?: string }).code !== DEADLOCK || attempt >= 5) throw err;
        this.service.logger.info({ attempt }, 'deadlock while creating the expiry queue; trying again');
        await new Promise((r) => setTimeout(r, 50 * attempt + Math.random() * 100));
      }
    }
  }

  /**
   * Schedules the order's expiry for `expiresAt` (a time already past runs at the next poll).
   * The job id is the order id, so scheduling an order twice (a redelivered or re-published
   * order.created) is a no-op. Returns false when the order was already scheduled. The job
   * continues `traceparent`'s trace when it runs.
   */
  async schedule(orderId: string, expiresAt: Date, traceparent?: string): Promise<boolean> {
    if (this.state !== 'running') throw new Error(`expiry queue is ${this.state}; cannot schedule`);
    const job: ExpiryJob = traceparent ? { orderId, traceparent } : { orderId };
    // The same id again, however the first job ended, inserts nothing (ON CONFLICT DO NOTHING)
    // and gives null: pg-boss keeps a finished job for a week after it finished (the queue's
    // `deleteAfterSeconds`), longer than the stream keeps the event that scheduled it.
    const id = await this.boss.send(EXPIRY_QUEUE, job, { id: orderId, startAfter: expiresAt });
    if (id === null) return false;
    // Already due: wake this replica's worker instead of waiting for its next poll.
    if (expiresAt.getTime() <= Date.now() && this.workerId) this.boss.notifyWorker(this.workerId);
    return true;
  }

  /** Starts this replica's worker: due jobs are passed to `handler`, up to `batchSize` per poll. */
  async work(handler: ExpiryHandler): Promise<void> {
    if (this.state !== 'running') throw new Error(`expiry queue is ${this.state}; cannot work`);
    if (this.workerId) throw new Error('expiry queue worker already started');
    this.workerId = await this.boss.work(
      EXPIRY_QUEUE,
      {
        batchSize: this.options.batchSize,
        pollingIntervalSeconds: this.options.pollingIntervalSeconds,
        includeMetadata: true,
      },
      (jobs: JobWithMetadata<ExpiryJob>[]) => this.track(this.runBatch(jobs, handler)),
    );
  }

  /**
   * Each job in its own transaction, so one failing job does not hold back the others. The
   * transaction marks the job complete itself (pg-boss's later "complete the batch" finds it
   * done and changes nothing), so a crash can never leave a job both published and due again.
   */
  private async runBatch(jobs: JobWithMetadata<ExpiryJob>[], handler: ExpiryHandler) {
    for (const job of jobs) {
      // pg-boss gave up on the batch (past expireInSeconds, or a stop out of time) and failed
      // its jobs: the rest run again later.
      if (job.signal.aborted) return;
      // A span of the trace that scheduled it (a job with none, from older code, starts a new one).
      await runWithTrace(childTraceparent(job.data.traceparent), () => this.runJob(job, handler));
    }
  }

  /** One job, in its trace: the handler's events continue it and every line logged here carries its id. */
  private async runJob(job: JobWithMetadata<ExpiryJob>, handler: ExpiryHandler) {
    const log = this.service.logger.child({ jobId: job.id, orderId: job.data.orderId });
    try {
      await this.jobTransaction(async (tx, bossDb) => {
        await handler(tx, job.data.orderId);
        // Passing the job (id and retryCount) completes only the attempt this worker holds. If
        // pg-boss took it back meanwhile, nothing is completed and the handler's writes roll back.
        const done = await this.boss.complete(EXPIRY_QUEUE, job, { workerId: this.workerId }, { db: bossDb });
        // Typed as {}, the answer counts the jobs completed in `affected`.
        if ((done as { affected?: number }).affected !== 1) {
          throw new Error('the expiry job is no longer held by this worker');
        }
      });
      log.info({ lateMs: Date.now() - new Date(job.startAfter).getTime() }, 'order expired');
    } catch (err) {
      const willRetry = job.retryCount < job.retryLimit;
      if (willRetry) log.warn({ err, retryCount: job.retryCount }, 'order expiry failed; pg-boss will retry it');
      else log.error({ err, retryCount: job.retryCount }, 'order expiry failed for good; job marked failed');
      const message = err instanceof Error ? err.message : String(err);
      await this.boss
        .fail(EXPIRY_QUEUE, job, { message })
        .catch((failErr: unknown) => log.error({ err: failErr }, 'could not mark the expiry job failed'));
    }
  }

  /**
   * One transaction that both Drizzle (the outbox) and pg-boss (its job row, through its `db`
   * option) write in: a pool client of the service's database with BEGIN/COMMIT around both.
   */
  private async jobTransaction(fn: (tx: Tx, bossDb: Db) => Promise<void>) {
    const client = await this.service.database.pool.connect();
    let failure: Error | undefined;
    try {
      const bossDb: Db = { executeSql: (text, values) => client.query(text, values) };
      await drizzle({ client }).transaction((tx) => fn(tx, bossDb));
    } catch (err) {
      failure = err instanceof Error ? err : new Error(String(err));
      throw err;
    } finally {
      // A client whose transaction failed may be broken: drop it rather than reuse it.
      client.release(failure);
    }
    this.service.relay.kick();
  }

  private track(batch: Promise<void>): Promise<void> {
    this.inFlight.add(batch);
    return batch.finally(() => this.inFlight.delete(batch));
  }

  /**
   * Stops fetching, lets the batch in hand finish (up to 10 s), then closes pg-boss's
   * connections. Jobs not yet due stay in the database for the next replica or start.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.state = 'stopping';
      await this.boss.stop({ graceful: true, timeout: 10_000 });
      // Past the timeout pg-boss fails the jobs in hand and returns, the handler still on its
      // current job: wait for it, so nothing writes after the service closes its database.
      await Promise.allSettled([...this.inFlight]);
      this.state = 'stopped';
    })();
    return this.stopping;
  }
}

import type { Logger } from 'pino';
import { Bus } from '../bus/bus.js';
import { RetryBook } from '../bus/retries.js';
import type { EventTransport } from '../bus/transport.js';
import type { BaseConfig } from '../config/env.js';
import { connectDatabase, type Database, type TransactionOptions, type TransactionWork } from '../db/database.js';
import { DatabaseNotifications } from '../db/notifications.js';
import { OutboxRelay } from '../outbox/relay.js';
import { revokedSessionsCheck } from '../session/revoked-sessions.js';
import { createSessionVerifier, type SessionVerifier } from '../session/session-token.js';
import { createLogger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';

/** Everything a service's routes and listeners need, connected and ready. */
export interface ServiceContext<C extends BaseConfig = BaseConfig> {
  name: string;
  config: C;
  logger: Logger;
  metrics: Metrics;
  /** The events this replica keeps retrying (shown in `/readyz` and the metrics). */
  retries: RetryBook;
  database: Database;
  /** LISTEN/NOTIFY on the service's database: wakes this replica on any replica's commit. */
  notifications: DatabaseNotifications;
  /** The event bus, as every transport provides it (JetStream's is `Bus`). */
  bus: EventTransport;
  relay: OutboxRelay;
  verifySession: SessionVerifier;
  /** One database transaction; events it wrote to the outbox are published right after commit (the relay hears the commit). */
  transaction<T>(fn: TransactionWork<T>, options?: TransactionOptions): Promise<T>;
  /** False once shutdown begins, so `/readyz` stops sending traffic here. */
  readonly accepting: boolean;
  /** Extra `/readyz` checks a service adds (e.g. its job queue), by name. */
  readinessChecks: Record<string, () => boolean | Promise<boolean>>;
  /**
   * Registers what must end as soon as shutdown begins, before the HTTP server closes: a
   * response that never ends by itself (an event stream) would otherwise hold that close up.
   */
  onStopping(end: () => void): void;
  /** Shutdown begins: readiness off, and what `onStopping` registered is ended. Once; later calls do nothing. */
  stopAccepting(): void;
  /** Registers work to stop on close, before the relay's last pass and the pool ends. */
  onClose(stop: () => Promise<void>): void;
  /** Stops everything (after `stopAccepting`), once; later calls wait for the first. */
  close(): Promise<void>;
}

export interface ServiceOptions<C extends BaseConfig> {
  name: string;
  config: C;
  migrationsFolder: string;
  logger?: Logger;
  relayIntervalMs?: number;
  processMetrics?: boolean;
}

export async function createServiceContext<C extends BaseConfig>(
  options: ServiceOptions<C>,
): Promise<ServiceContext<C>> {
  const { name, config } = options;
  const logger = options.logger ?? createLogger(name, config.LOG_LEVEL);
  const retries = new RetryBook({ stuckAfterMs: config.EVENT_STUCK_AFTER_SECONDS * 1000, logEveryMs: 30_000 });
  const metrics = createMetrics(name, { processMetrics: options.processMetrics, retries });
  const database = await connectDatabase({
    url: config.DATABASE_URL,
    migrationsFolder: options.migrationsFolder,
    logger,
    poolSize: config.DATABASE_POOL_SIZE,
    startupWaitMs: config.STARTUP_WAIT_SECONDS * 1000,
  });
  // Sessions revoked by auth are looked up in this service's own copy of the revocations.
  const verifySession = await createSessionVerifier(config.JWT_PUBLIC_KEY, revokedSessionsCheck(database.db));
  const notifications = new DatabaseNotifications(config.DATABASE_URL, logger);
  // The relay passes on every commit that wrote to the outbox, in any replica, and after a lost
  // notification connection. Subscribed before start, so the LISTEN is in place before any commit.
  let kickRelay = () => {};
  notifications.on('outbox', () => kickRelay());
  notifications.onReconnect(() => kickRelay());
  let bus: Bus;
  try {
    await notifications.start();
    bus = await Bus.connect(
      {
        url: config.NATS_URL,
        name,
        stream: config.NATS_STREAM,
        subjectPrefix: config.NATS_SUBJECT_PREFIX,
        maxBytes: config.NATS_STREAM_MAX_BYTES,
        startupWaitMs: config.STARTUP_WAIT_SECONDS * 1000,
        nkeySeed: config.NATS_NKEY_SEED,
        tlsCaFile: config.NATS_TLS_CA,
      },
      logger,
    );
  } catch (err) {
    await notifications.close();
    await database.close();
    throw err;
  }
  const relay = new OutboxRelay(database, bus, logger, metrics, options.relayIntervalMs);
  kickRelay = () => relay.kick();
  const enders: (() => void)[] = [];
  const closers: (() => Promise<void>)[] = [];
  let accepting = true;
  let closing: Promise<void> | undefined;
  const context: ServiceContext<C> = {
    name,
    config,
    logger,
    metrics,
    retries,
    database,
    notifications,
    bus,
    relay,
    verifySession,
    get accepting() {
      return accepting;
    },
    readinessChecks: {},
    onStopping: (end) => {
      enders.push(end);
    },
    stopAccepting() {
      if (!accepting) return;
      accepting = false;
      for (const end of enders) end();
    },
    onClose: (stop) => {
      closers.push(stop);
    },
    // The relay hears of a commit that wrote events by the outbox's notification: a transaction
    // that wrote none costs it no pass.
    transaction: (fn, transactionOptions) => database.transaction(fn, transactionOptions),
    close() {
      closing ??= (async () => {
        context.stopAccepting();
        for (const stop of closers.reverse()) await stop();
        await relay.stop();
        await bus.close();
        await notifications.close();
        await database.close();
      })();
      return closing;
    },
  };
  return context;
}

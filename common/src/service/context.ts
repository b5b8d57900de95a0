import type { Logger } from 'pino';
import { Bus } from '../bus/bus.js';
import type { BaseConfig } from '../config/env.js';
import { connectDatabase, type Database, type Tx } from '../db/database.js';
import { OutboxRelay } from '../outbox/relay.js';
import { createSessionVerifier, type SessionVerifier } from '../session/session-token.js';
import { createLogger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';

/** Everything a service's routes and listeners need, connected and ready. */
export interface ServiceContext<C extends BaseConfig = BaseConfig> {
  name: string;
  config: C;
  logger: Logger;
  metrics: Metrics;
  database: Database;
  bus: Bus;
  relay: OutboxRelay;
  verifySession: SessionVerifier;
  /** One database transaction; events it wrote to the outbox are published right after commit. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** False once shutdown begins, so `/readyz` stops sending traffic here. */
  accepting: boolean;
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
  const metrics = createMetrics(name, { processMetrics: options.processMetrics });
  const verifySession = await createSessionVerifier(config.JWT_PUBLIC_KEY);
  const database = await connectDatabase({
    url: config.DATABASE_URL,
    migrationsFolder: options.migrationsFolder,
    logger,
  });
  let bus: Bus;
  try {
    bus = await Bus.connect(
      {
        url: config.NATS_URL,
        name,
        stream: config.NATS_STREAM,
        subjectPrefix: config.NATS_SUBJECT_PREFIX,
      },
      logger,
    );
  } catch (err) {
    await database.close();
    throw err;
  }
  const relay = new OutboxRelay(database, bus, logger, metrics, options.relayIntervalMs);
  const context: ServiceContext<C> = {
    name,
    config,
    logger,
    metrics,
    database,
    bus,
    relay,
    verifySession,
    accepting: true,
    async transaction(fn) {
      const result = await database.transaction(fn);
      relay.kick();
      return result;
    },
    async close() {
      context.accepting = false;
      await relay.stop();
      await bus.close();
      await database.close();
    },
  };
  return context;
}

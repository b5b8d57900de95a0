import { pino, type Logger } from 'pino';
import type { z } from 'zod';
import {
  baseConfigSchema,
  createServiceContext,
  loadConfig,
  startListeners,
  type BaseConfig,
  type Listener,
  type ListenerOptions,
  type RunningListeners,
  type ServiceContext,
} from '@ticketing/common';
import { createTestBus, type TestBus } from './bus.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { testKeys } from './users.js';

export interface TestService<C extends BaseConfig> {
  service: ServiceContext<C>;
  database: TestDatabase;
  bus: TestBus;
  /** Starts this instance's listeners (tests that only call routes need none). */
  listen(listeners: Listener[], options?: Partial<ListenerOptions>): Promise<RunningListeners>;
  close(): Promise<void>;
}

/** Short retry delays and ack wait, so redeliveries happen within a test's time. */
export const fastListenerOptions: Partial<ListenerOptions> = {
  retryDelayMs: 50,
  maxRetryDelayMs: 200,
  ackWaitMs: 2_000,
};

/**
 * A connected service context on a fresh database and an isolated stream. Pass `shared` from
 * another TestService to run a second replica on the same database and stream.
 */
export async function createTestService<S extends z.ZodType<BaseConfig>>(options: {
  name: string;
  migrationsFolder: string;
  configSchema?: S;
  env?: Record<string, string>;
  shared?: { database: TestDatabase; bus: TestBus };
  /** Defaults to a silent logger (LOG_LEVEL shows logs); see `recordingLogger`. */
  logger?: Logger;
}): Promise<TestService<z.infer<S>>> {
  const database = options.shared?.database ?? (await createTestDatabase());
  const bus = options.shared?.bus ?? createTestBus();
  const config = loadConfig(options.configSchema ?? baseConfigSchema, {
    NODE_ENV: 'test',
    PORT: '0',
    METRICS_PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: database.url,
    JWT_PUBLIC_KEY: testKeys.publicKeyPem,
    ...bus.env,
    ...options.env,
  }) as z.infer<S>;
  const service = await createServiceContext({
    name: options.name,
    config,
    migrationsFolder: options.migrationsFolder,
    logger: options.logger ?? pino({ level: process.env.LOG_LEVEL ?? 'silent' }),
    relayIntervalMs: 200,
  });
  const running: RunningListeners[] = [];
  return {
    service,
    database,
    bus,
    async listen(listeners, opts) {
      const r = await startListeners(service, listeners, { ...fastListenerOptions, ...opts });
      running.push(r);
      return r;
    },
    async close() {
      for (const r of running) await r.stop();
      await service.close();
      if (!options.shared) {
        await bus.remove();
        await database.drop();
      }
    },
  };
}

import { createServer, type Server } from 'node:http';
import type { Express } from 'express';
import type { z } from 'zod';
import { startListeners, type Listener, type ListenerOptions } from '../bus/listener.js';
import { loadConfig, type BaseConfig } from '../config/env.js';
import { messagingRetention } from '../outbox/retention.js';
import { createServiceContext, type ServiceContext } from './context.js';
import { createHttpServer } from './http-server.js';
import { createMetricsApp } from './metrics-app.js';
import { attachWorker, type Worker } from './worker.js';

/** What a service is made of, besides what every service has (database, bus, outbox relay). */
export interface ServiceParts {
  /** Its HTTP API, probes included (`createServiceApp`). */
  app: Express;
  /** What it consumes from the bus. */
  listeners: Listener[];
  /** What it runs beside them: periodic passes and job queues. */
  workers: Worker[];
}

/** A service as its main.ts declares it. */
export interface ServiceDefinition<S extends z.ZodType<BaseConfig>> {
  name: string;
  configSchema: S;
  migrationsFolder: string;
  parts(service: ServiceContext<z.infer<S>>): ServiceParts | Promise<ServiceParts>;
}

/**
 * A service's process, from main.ts: reads and checks its configuration, connects (migrating
 * its database), builds its parts and starts them (see `startService`). A failure to start is
 * one clear line on stderr and exit code 1.
 */
export async function runService<S extends z.ZodType<BaseConfig>>(definition: ServiceDefinition<S>): Promise<void> {
  try {
    const config = loadConfig(definition.configSchema);
    const service = await createServiceContext({
      name: definition.name,
      config,
      migrationsFolder: definition.migrationsFolder,
      processMetrics: true,
    });
    await startService(service, await definition.parts(service));
  } catch (err) {
    exitOnStartupFailure(err);
  }
}

/**
 * Starts a service for real: its workers, then its listeners (which may hand them work), the
 * outbox relay, HTTP on PORT and the metrics on METRICS_PORT. On SIGTERM or SIGINT it stops in
 * order (readiness off, HTTP closed after in-flight requests, consumers stopped, workers
 * stopped, last outbox pass, NATS drained, pool ended) and exits.
 */
export async function startService(
  service: ServiceContext,
  { app, listeners, workers }: ServiceParts,
  listenerOptions?: Partial<ListenerOptions>,
) {
  // Every service keeps its inbox and the stream in bounds, besides its own work.
  for (const worker of [...workers, messagingRetention(service)]) {
    attachWorker(service, worker);
    await worker.start();
  }
  const { logger } = service;
  const running = await startListeners(service, listeners, {
    ackWaitMs: service.config.EVENT_ACK_WAIT_SECONDS * 1000,
    ...listenerOptions,
  });
  await service.relay.start();
  const { HOST, PORT, METRICS_PORT } = service.config;
  const server: Server = await listen(createHttpServer(app), HOST, PORT);
  const metricsServer: Server = await listen(createServer(createMetricsApp(service)), HOST, METRICS_PORT);
  logger.info({ host: HOST ?? 'all interfaces', port: portOf(server), metricsPort: portOf(metricsServer) }, `${service.name} listening`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    service.stopAccepting();
    const force = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, 20_000);
    force.unref();
    try {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      metricsServer.close();
      metricsServer.closeAllConnections();
      await running.stop();
      await service.close();
      logger.info('stopped');
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  return server;
}

/**
 * Listens on `host` (every interface when undefined) and `port`. A port already taken fails the
 * start (main.ts reports it), rather than running deaf.
 */
function listen(server: Server, host: string | undefined, port: number): Promise<Server> {
  return new Promise<Server>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function portOf(server: Server): number | undefined {
  const address = server.address();
  return typeof address === 'object' && address ? address.port : undefined;
}

/** Turns a start-up failure (e.g. bad configuration) into a message and exit 1. */
function exitOnStartupFailure(err: unknown): never {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`Could not start: ${message}\n`);
  process.exit(1);
}

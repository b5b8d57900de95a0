import type { Server } from 'node:http';
import type { Express } from 'express';
import { startListeners, type Listener, type ListenerOptions } from '../bus/listener.js';
import type { ServiceContext } from './context.js';
import { createHttpServer } from './http-server.js';

/**
 * Starts a service for real: HTTP on its port, its listeners, the outbox relay; on SIGTERM or
 * SIGINT it stops in order (readiness off, HTTP closed after in-flight requests, consumers
 * stopped, last outbox pass, NATS drained, pool ended) and exits.
 */
export async function runService(
  service: ServiceContext,
  app: Express,
  listeners: Listener[],
  listenerOptions?: Partial<ListenerOptions>,
) {
  const { logger } = service;
  const running = await startListeners(service, listeners, {
    ackWaitMs: service.config.EVENT_ACK_WAIT_SECONDS * 1000,
    maxDeliveries: service.config.EVENT_MAX_DELIVERIES,
    ...listenerOptions,
  });
  service.relay.start();
  const server: Server = createHttpServer(app);
  // A port already taken fails the start (main.ts reports it), rather than running deaf.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(service.config.PORT, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  logger.info(
    { port: typeof address === 'object' && address ? address.port : service.config.PORT },
    `${service.name} listening`,
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    service.accepting = false;
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

/** For main.ts: turns a start-up failure (e.g. bad configuration) into a message and exit 1. */
export function exitOnStartupFailure(err: unknown): never {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`Could not start: ${message}\n`);
  process.exit(1);
}

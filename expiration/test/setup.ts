import { attachWorker } from '@ticketing/common';
import { createTestService, type TestBus, type TestDatabase } from '@ticketing/testkit';
import supertest from 'supertest';
import { createApp } from '../src/app.js';
import { migrationsFolder } from '../src/db/migrations-folder.js';
import { expireOrder } from '../src/jobs/expire-order.js';
import { listeners } from '../src/events/listeners.js';
import { ExpiryQueue } from '../src/expiry-queue.js';

export interface StartOptions {
  /** Another instance's database and stream: this one is then a replica of it. */
  shared?: { database: TestDatabase; bus: TestBus };
  /** False: the queue accepts jobs but this instance runs none (no worker). */
  work?: boolean;
  /** Defaults to a silent logger; see `recordingLogger`. */
  logger?: Parameters<typeof createTestService>[0]['logger'];
  env?: Record<string, string>;
}

/**
 * An expiration service as main.ts wires it: its own database and stream (or `shared`), the
 * expiry queue started with its worker, the HTTP app. Its listeners start with `t.listen(t.listeners)`.
 * `close()` stops the listeners, then the queue, then the service.
 */
export async function startExpiration(options: StartOptions = {}) {
  const t = await createTestService({ name: 'expiration', migrationsFolder, shared: options.shared, logger: options.logger, env: options.env });
  const queue = new ExpiryQueue(t.service, options.work === false ? {} : { handler: expireOrder });
  attachWorker(t.service, queue);
  try {
    await queue.start();
  } catch (err) {
    await t.close();
    throw err;
  }
  const app = createApp(t.service);
  return { ...t, queue, listeners: listeners(queue), app, http: supertest(app) };
}

export type Expiration = Awaited<ReturnType<typeof startExpiration>>;

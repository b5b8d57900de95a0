import { runService } from '@ticketing/common';
import { createApp } from './app.js';
import { configSchema } from './config.js';
import { migrationsFolder } from './db/migrations-folder.js';
import { listeners } from './events/listeners.js';
import { ExpiryQueue } from './expiry-queue.js';
import { expireOrder } from './jobs/expire-order.js';

await runService({
  name: 'expiration',
  configSchema,
  migrationsFolder,
  parts(service) {
    // Its listener schedules an expiry job per order; the queue runs them when due.
    const queue = new ExpiryQueue(service, { handler: expireOrder });
    return { app: createApp(service), listeners: listeners(queue), workers: [queue] };
  },
});

import { createServiceContext, exitOnStartupFailure, loadConfig, runService } from '@ticketing/common';
import { createApp } from './app.js';
import { configSchema } from './config.js';
import { migrationsFolder } from './db/migrations-folder.js';
import { expireOrder } from './jobs/expire-order.js';
import { listeners } from './events/listeners.js';
import { ExpiryQueue, attachQueue } from './expiry-queue.js';

try {
  const config = loadConfig(configSchema);
  const service = await createServiceContext({ name: 'expiration', config, migrationsFolder, processMetrics: true });
  const queue = new ExpiryQueue(service);
  await queue.start();
  attachQueue(service, queue);
  await queue.work(expireOrder);
  await runService(service, createApp(service), listeners(queue));
} catch (err) {
  exitOnStartupFailure(err);
}

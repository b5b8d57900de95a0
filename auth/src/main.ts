import { createServiceContext, exitOnStartupFailure, loadConfig, runService } from '@ticketing/common';
import { createApp } from './app.js';
import { configSchema } from './config.js';
import { migrationsFolder } from './db/migrations-folder.js';
import { listeners } from './events/listeners.js';
import { pruneExpiredFailures } from './signin-limit.js';

/** How often stale sign-in failures (for emails nobody retries) are deleted. */
const PRUNE_INTERVAL_MS = 10 * 60 * 1000;

try {
  const config = loadConfig(configSchema);
  const service = await createServiceContext({ name: 'auth', config, migrationsFolder, processMetrics: true });
  const app = await createApp(service);
  await runService(service, app, listeners);
  setInterval(() => {
    pruneExpiredFailures(service.database.db).catch((err) => service.logger.warn({ err }, 'pruning sign-in failures failed'));
  }, PRUNE_INTERVAL_MS).unref();
} catch (err) {
  exitOnStartupFailure(err);
}

import { createServiceContext, exitOnStartupFailure, loadConfig, runService } from '@ticketing/common';
import { createApp } from './app.js';
import { configSchema } from './config.js';
import { migrationsFolder } from './db/migrations-folder.js';
import { listeners } from './events/listeners.js';

try {
  const config = loadConfig(configSchema);
  const service = await createServiceContext({ name: 'tickets', config, migrationsFolder, processMetrics: true });
  await runService(service, createApp(service), listeners);
} catch (err) {
  exitOnStartupFailure(err);
}

import { runService } from '@ticketing/common';
import { createApp } from './app.js';
import { rateLimitPruning } from './abuse-limits.js';
import { configSchema } from './config.js';
import { migrationsFolder } from './db/migrations-folder.js';
import { listeners } from './events/listeners.js';
import { sessionPruning } from './sessions.js';

await runService({
  name: 'auth',
  configSchema,
  migrationsFolder,
  parts: async (service) => ({ app: await createApp(service), listeners, workers: [rateLimitPruning(service), sessionPruning(service)] }),
});

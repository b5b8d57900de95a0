import { runService } from '@ticketing/common';
import { createApp } from './app.js';
import { configSchema } from './config.js';
import { migrationsFolder } from './db/migrations-folder.js';
import { listeners } from './events/listeners.js';
import { sessionPruning } from './sessions.js';
import { signinFailurePruning } from './signin-limit.js';

await runService({
  name: 'auth',
  configSchema,
  migrationsFolder,
  parts: async (service) => ({ app: await createApp(service), listeners, workers: [signinFailurePruning(service), sessionPruning(service)] }),
});

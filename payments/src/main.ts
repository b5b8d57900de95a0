import { runService } from '@ticketing/common';
import { createApp } from './app.js';
import { configSchema } from './config.js';
import { migrationsFolder } from './db/migrations-folder.js';
import { listeners } from './events/listeners.js';
import { chooseProvider } from './providers/choose-provider.js';
import { refundSweep } from './refunds.js';

await runService({
  name: 'payments',
  configSchema,
  migrationsFolder,
  parts(service) {
    const provider = chooseProvider(service.config, service.logger);
    return { app: createApp(service, provider), listeners, workers: [refundSweep(service, provider)] };
  },
});

import { runService } from '@ticketing/common';
import { createApp } from './app.js';
import { configSchema } from './config.js';
import { migrationsFolder } from './db/migrations-folder.js';
import { listeners } from './events/listeners.js';
import { paymentClaims } from './payment-claims.js';

await runService({
  name: 'orders',
  configSchema,
  migrationsFolder,
  parts: (service) => ({ app: createApp(service), listeners, workers: [paymentClaims(service)] }),
});

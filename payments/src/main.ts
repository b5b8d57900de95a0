import { runService } from '@ticketing/common';
import { createApp } from './app.js';
import { configSchema } from './config.js';
import { migrationsFolder } from './db/migrations-folder.js';
import { listeners } from './events/listeners.js';
import { chooseProvider } from './providers/choose-provider.js';
import { defaultRefundOptions, refundSweep } from './refunds.js';
import { attemptResolver } from './resolve-attempts.js';

await runService({
  name: 'payments',
  configSchema,
  migrationsFolder,
  parts(service) {
    const provider = chooseProvider(service.config, service.logger);
    const resolveAfterMs = service.config.PAYMENT_ATTEMPT_RESOLVE_AFTER_SECONDS * 1000;
    return {
      app: createApp(service, provider),
      listeners,
      workers: [refundSweep(service, provider), attemptResolver(service, provider, { ...defaultRefundOptions, resolveAfterMs })],
    };
  },
});

import { runService } from '@ticketing/common';
import { createApp } from './app.js';
import { configSchema } from './config.js';
import { migrationsFolder } from './db/migrations-folder.js';
import { listeners } from './events/listeners.js';
import { chooseProvider } from './providers/choose-provider.js';
import { intentReconciler } from './reconcile-intents.js';
import { defaultRefundOptions, refundSweep } from './refunds.js';
import { attemptResolver } from './resolve-attempts.js';

await runService({
  name: 'payments',
  configSchema,
  migrationsFolder,
  parts(service) {
    const provider = chooseProvider(service.config, service.logger, service.database.db);
    const { PAYMENT_ATTEMPT_RESOLVE_AFTER_SECONDS, PAYMENT_INTENT_RECONCILE_AFTER_SECONDS, STRIPE_WEBHOOK_SECRET } = service.config;
    if (provider.name === 'stripe' && !STRIPE_WEBHOOK_SECRET) {
      service.logger.warn('no STRIPE_WEBHOOK_SECRET: payment intents are settled by the reconciler alone, a minute or so late');
    }
    return {
      app: createApp(service, provider),
      listeners,
      workers: [
        refundSweep(service, provider),
        attemptResolver(service, provider, { ...defaultRefundOptions, resolveAfterMs: PAYMENT_ATTEMPT_RESOLVE_AFTER_SECONDS * 1000 }),
        intentReconciler(service, provider, { ...defaultRefundOptions, reconcileAfterMs: PAYMENT_INTENT_RECONCILE_AFTER_SECONDS * 1000 }),
      ],
    };
  },
});

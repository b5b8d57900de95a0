import { createServiceContext, exitOnStartupFailure, loadConfig, runService } from '@ticketing/common';
import { createApp } from './app.js';
import { configSchema } from './config.js';
import { migrationsFolder } from './db/migrations-folder.js';
import { listeners } from './events/listeners.js';
import { chooseProvider } from './providers/choose-provider.js';
import { RefundSweeper } from './refunds.js';

try {
  const config = loadConfig(configSchema);
  const service = await createServiceContext({ name: 'payments', config, migrationsFolder, processMetrics: true });
  const provider = chooseProvider(config, service.logger);
  service.logger.info({ provider: provider.name }, 'payment provider chosen');
  const refunds = new RefundSweeper(service, provider);
  refunds.start();
  service.onClose(() => refunds.stop());
  await runService(service, createApp(service, provider), listeners);
} catch (err) {
  exitOnStartupFailure(err);
}

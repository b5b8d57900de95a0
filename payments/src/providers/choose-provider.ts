import type { Db, Logger } from '@ticketing/common';
import type { Config } from '../config.js';
import type { PaymentProvider } from './payment-provider.js';
import { createSandboxProvider } from './sandbox-provider.js';
import { createStripeProvider } from './stripe-provider.js';

/**
 * PAYMENTS_PROVIDER when set, else `stripe` when STRIPE_SECRET_KEY is set, else the offline
 * `sandbox` (the config refuses that default in production, so it is never reached there). The
 * sandbox keeps its payment intents in `db`.
 */
export function chooseProvider(config: Config, logger: Logger, db: Db): PaymentProvider {
  const provider = pick(config, db);
  if (provider.name === 'sandbox' && config.NODE_ENV === 'production') {
    logger.warn('PAYMENTS_PROVIDER=sandbox in production: payments take no money');
  }
  logger.info({ provider: provider.name }, 'payment provider chosen');
  return provider;
}

function pick(config: Config, db: Db): PaymentProvider {
  const name = config.PAYMENTS_PROVIDER ?? (config.STRIPE_SECRET_KEY ? 'stripe' : 'sandbox');
  if (name === 'stripe') {
    return createStripeProvider({
      secretKey: config.STRIPE_SECRET_KEY!, // the config requires it for stripe
      apiUrl: config.STRIPE_API_URL,
      maxNetworkRetries: config.STRIPE_MAX_NETWORK_RETRIES,
    });
  }
  return createSandboxProvider({ db, latencyMs: config.SANDBOX_CHARGE_LATENCY_MS });
}

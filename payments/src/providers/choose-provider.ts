import type { Logger } from '@ticketing/common';
import type { Config } from '../config.js';
import type { PaymentProvider } from './payment-provider.js';
import { createSandboxProvider } from './sandbox-provider.js';
import { createStripeProvider } from './stripe-provider.js';

/** `stripe` when STRIPE_SECRET_KEY is set, otherwise the offline `sandbox`. */
export function chooseProvider(config: Config, logger: Logger): PaymentProvider {
  const provider = pick(config, logger);
  logger.info({ provider: provider.name }, 'payment provider chosen');
  return provider;
}

function pick(config: Config, logger: Logger): PaymentProvider {
  if (config.STRIPE_SECRET_KEY) {
    return createStripeProvider({
      secretKey: config.STRIPE_SECRET_KEY,
      apiUrl: config.STRIPE_API_URL,
      maxNetworkRetries: config.STRIPE_MAX_NETWORK_RETRIES,
    });
  }
  if (config.NODE_ENV === 'production') {
    logger.warn('STRIPE_SECRET_KEY is not set: payments use the sandbox provider and take no money');
  }
  return createSandboxProvider({ latencyMs: config.SANDBOX_CHARGE_LATENCY_MS });
}

import { createServiceApp } from '@ticketing/common';
import type { PaymentsService } from './config.js';
import { chooseProvider } from './providers/choose-provider.js';
import type { PaymentProvider } from './providers/payment-provider.js';
import { paymentsRoutes } from './routes/index.js';

/** The payments HTTP app, without listening: tests drive it with supertest. */
export function createApp(service: PaymentsService, provider: PaymentProvider = chooseProvider(service.config, service.logger)) {
  return createServiceApp(service, paymentsRoutes(service, provider));
}

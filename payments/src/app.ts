import { createServiceApp, requireAuth } from '@ticketing/common';
import { Router } from 'express';
import type { PaymentsService } from './config.js';
import { chooseProvider } from './providers/choose-provider.js';
import type { PaymentProvider } from './providers/payment-provider.js';
import { createPaymentRoute } from './routes/create-payment.js';

/** The payments HTTP app, without listening (tests drive it with supertest): its route table. */
export function createApp(service: PaymentsService, provider: PaymentProvider = chooseProvider(service.config, service.logger)) {
  const routes = Router().post('/api/payments', requireAuth, createPaymentRoute(service, provider));
  return createServiceApp(service, routes);
}

import { Router } from 'express';
import type { PaymentsService } from '../config.js';
import type { PaymentProvider } from '../providers/payment-provider.js';
import { createPaymentRoute } from './create-payment.js';

export function paymentsRoutes(service: PaymentsService, provider: PaymentProvider) {
  return Router().use(createPaymentRoute(service, provider));
}

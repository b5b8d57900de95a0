import { createServiceApp, requireAuth } from '@ticketing/common';
import { Router } from 'express';
import type { PaymentsService } from './config.js';
import { chooseProvider } from './providers/choose-provider.js';
import type { PaymentProvider } from './providers/payment-provider.js';
import type { SandboxProvider } from './providers/sandbox-provider.js';
import { createPaymentRoute } from './routes/create-payment.js';
import { sandboxIntentRoutes } from './routes/sandbox-intents.js';
import { startIntentRoute } from './routes/start-intent.js';
import { stripeWebhookRoute } from './routes/stripe-webhook.js';

/**
 * The payments HTTP app, without listening (tests drive it with supertest): its route table.
 * The webhook exists with the stripe provider and a webhook secret; the sandbox's own steps
 * only with the sandbox.
 */
export function createApp(service: PaymentsService, provider: PaymentProvider = chooseProvider(service.config, service.logger, service.database.db)) {
  const { STRIPE_WEBHOOK_SECRET, STRIPE_WEBHOOK_TOLERANCE_SECONDS } = service.config;
  const routes = Router()
    .post('/api/payments', requireAuth, createPaymentRoute(service, provider))
    .post('/api/payments/intents', requireAuth, startIntentRoute(service, provider));
  if (provider.name === 'stripe' && STRIPE_WEBHOOK_SECRET) {
    routes.post('/api/payments/webhook', stripeWebhookRoute(service, provider, { secret: STRIPE_WEBHOOK_SECRET, toleranceSeconds: STRIPE_WEBHOOK_TOLERANCE_SECONDS }));
  }
  if (isSandbox(provider)) {
    const sandbox = sandboxIntentRoutes(service, provider);
    routes.post('/api/payments/sandbox/confirm', requireAuth, sandbox.confirm).post('/api/payments/sandbox/authenticate', requireAuth, sandbox.authenticate);
  }
  return createServiceApp(service, routes);
}

const isSandbox = (provider: PaymentProvider): provider is SandboxProvider => provider.name === 'sandbox';

import { badRequest, type WithRawBody } from '@ticketing/common';
import type { RequestHandler } from 'express';
import Stripe from 'stripe';
import type { PaymentsService } from '../config.js';
import { applyIntent } from '../intent-outcome.js';
import type { PaymentProvider } from '../providers/payment-provider.js';
import { intentOf } from '../providers/stripe-provider.js';

/**
 * POST /api/payments/webhook: Stripe tells payments what became of its intents. The signature
 * (`Stripe-Signature`, HMAC-SHA256 of the timestamp and the raw body with the endpoint's
 * secret) is checked over the bytes as sent, and its timestamp must be within `toleranceSeconds`
 * of now, so a captured delivery cannot be replayed later. Each event id takes effect once
 * (the inbox), because Stripe delivers at least once. 200 tells Stripe to stop retrying; any
 * failure here (a 500) makes it retry, for up to three days.
 */
export function stripeWebhookRoute(
  service: PaymentsService,
  provider: PaymentProvider,
  { secret, toleranceSeconds }: { secret: string; toleranceSeconds: number },
): RequestHandler {
  return async (req, res) => {
    const raw = (req as WithRawBody).rawBody;
    const signature = req.get('stripe-signature');
    let event: Stripe.Event;
    try {
      if (!raw || !signature) throw new Error('no body or no signature');
      event = Stripe.webhooks.constructEvent(raw, signature, secret, toleranceSeconds);
    } catch (err) {
      req.log.warn({ err }, 'webhook refused: signature');
      throw badRequest('Invalid webhook signature');
    }
    if (event.type.startsWith('payment_intent.')) {
      await applyIntent(service, provider, intentOf(event.data.object as Stripe.PaymentIntent), req.log, { id: event.id, type: event.type });
    } else {
      req.log.info({ type: event.type }, 'webhook event of a type payments does not use: ignored');
    }
    res.json({ received: true });
  };
}

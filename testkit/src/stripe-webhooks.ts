import Stripe from 'stripe';
import { intentObject, type LedgerIntent } from './stripe-intents.js';
import { randomId } from './stripe-replies.js';

export type IntentEventType =
  | 'payment_intent.created'
  | 'payment_intent.succeeded'
  | 'payment_intent.payment_failed'
  | 'payment_intent.canceled'
  | 'payment_intent.processing'
  | 'payment_intent.requires_action';

/**
 * The event Stripe POSTs to a webhook endpoint about a payment intent, with the intent as the
 * API returns it at this moment (a snapshot: later changes to the intent do not show).
 */
export function intentEvent(intent: LedgerIntent, type: IntentEventType) {
  return {
    id: randomId('evt_fake_'),
    object: 'event' as const,
    api_version: Stripe.API_VERSION,
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object: structuredClone(intentObject(intent)) },
  };
}

/**
 * A webhook body and its `Stripe-Signature` header, signed with the endpoint's secret by the
 * SDK's own test signer. `timestamp` (seconds) dates the signature, to test the tolerance.
 */
export function signedWebhook(body: object | string, secret: string, options: { timestamp?: number } = {}) {
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  const header = Stripe.webhooks.generateTestHeaderString({ payload, secret, ...(options.timestamp !== undefined ? { timestamp: options.timestamp } : {}) });
  return { payload, header };
}

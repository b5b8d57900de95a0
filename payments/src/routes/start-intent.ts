import { parseBody, toDollars, userOf } from '@ticketing/common';
import type { PaymentIntent } from '@ticketing/contracts';
import type { RequestHandler } from 'express';
import type { PaymentsService } from '../config.js';
import { paymentIntentInput } from '../inputs.js';
import type { PaymentProvider } from '../providers/payment-provider.js';
import { startIntent } from '../start-intent.js';

/** POST /api/payments/intents: the buyer starts (201) or resumes (200) paying for their order (see startIntent). */
export function startIntentRoute(service: PaymentsService, provider: PaymentProvider): RequestHandler {
  return async (req, res) => {
    const { orderId } = parseBody(req, paymentIntentInput);
    const { intent, created } = await startIntent(service, provider, { buyerId: userOf(req).id, orderId }, req.log);
    res.status(created ? 201 : 200).json({
      orderId,
      provider: provider.name,
      clientSecret: intent.clientSecret,
      status: intent.status,
      amount: toDollars(intent.amountCents),
      currency: 'usd',
      lastError: intent.lastError,
    } satisfies PaymentIntent);
  };
}

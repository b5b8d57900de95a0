import { parseBody, userOf } from '@ticketing/common';
import type { Payment } from '@ticketing/contracts';
import type { RequestHandler } from 'express';
import type { PaymentsService } from '../config.js';
import { paymentInput } from '../inputs.js';
import { payForOrder } from '../pay-for-order.js';
import type { PaymentProvider } from '../providers/payment-provider.js';

/** POST /api/payments: the buyer pays for their order with a card token (see payForOrder). */
export function createPaymentRoute(service: PaymentsService, provider: PaymentProvider): RequestHandler {
  return async (req, res) => {
    const { orderId, token } = parseBody(req, paymentInput);
    const payment = await payForOrder(service, provider, { buyerId: userOf(req).id, orderId, token }, req.log);
    res.status(201).json({ id: payment.id, orderId: payment.orderId } satisfies Payment);
  };
}

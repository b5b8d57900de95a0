import { createHash, randomUUID } from 'node:crypto';
import {
  AppError,
  badRequest,
  enqueueEvent,
  isUniqueViolation,
  notFound,
  parseBody,
  requireAuth,
  textField,
  userOf,
  type Logger,
} from '@ticketing/common';
import { OrderStatus, type Payment, type PaymentInput } from '@ticketing/contracts';
import { eq } from 'drizzle-orm';
import type { RequestHandler } from 'express';
import { z } from 'zod';
import type { PaymentsService } from '../config.js';
import { ONE_PAYMENT_PER_ORDER, orders, payments, type Order } from '../db/schema.js';
import type { PaymentProvider } from '../providers/payment-provider.js';

export const MAX_TOKEN_LENGTH = 255;

/** The body of POST /api/payments. */
export const paymentInput = z.object({
  orderId: z
    .uuid({ error: (issue) => (issue.input === undefined ? 'Order id is required' : 'Order id must be a UUID') })
    .transform((id) => id.toLowerCase()),
  token: textField('Payment token', MAX_TOKEN_LENGTH),
}) satisfies z.ZodType<PaymentInput>;

const orderNotFound = () => notFound('Order not found');
const cancelledOrder = () => badRequest('Cannot pay for a cancelled order');
const alreadyPaid = () => badRequest('Order has already been paid');
const providerUnavailable = () => new AppError(502, [{ message: 'Payment provider unavailable' }]);

/** The order was cancelled while its card was being charged. */
class CancelledMeanwhile extends Error {}

/**
 * POST /api/payments: the buyer pays for their order with a card token.
 *
 * The charge goes to the provider outside any database transaction (a slow provider must not
 * hold a connection or a lock). Its idempotency key is the order and the card token, so a
 * double submit gets the same charge back instead of a second one, while a buyer whose card
 * was declined can still pay with another (the provider remembers a key's first answer).
 * The payment row and its payment.created event are then written in one transaction; the
 * unique order id decides which of two concurrent payments is recorded, and a losing charge
 * made with another card is refunded.
 */
export function createPaymentRoute(service: PaymentsService, provider: PaymentProvider): RequestHandler {
  return async (req, res) => {
    const { orderId, token } = parseBody(req, paymentInput);
    const [order] = await service.database.db.select().from(orders).where(eq(orders.id, orderId));
    // Someone else's order is "not found" too: its existence is not theirs to learn.
    if (!order || order.userId !== userOf(req).id) throw orderNotFound();
    await refuseUnpayable(service, order);

    const idempotencyKey = `${order.id}-${createHash('sha256').update(token).digest('hex').slice(0, 16)}`;
    let result;
    try {
      result = await provider.charge({
        amountCents: order.priceCents,
        currency: 'usd',
        token,
        idempotencyKey,
        description: `Ticketing order ${order.id}`,
      });
    } catch (err) {
      req.log.error({ err, orderId, provider: provider.name }, 'payment provider failed');
      throw providerUnavailable();
    }
    if (!result.ok) throw badRequest(result.message, 'token');

    const { chargeId } = result;
    let payment;
    try {
      payment = await service.transaction(async (tx) => {
        // Shared lock: an order.cancelled being applied now finishes first (or waits for this).
        const [current] = await tx.select().from(orders).where(eq(orders.id, orderId)).for('share');
        if (current?.status === OrderStatus.Cancelled) throw new CancelledMeanwhile();
        const [created] = await tx
          .insert(payments)
          .values({ id: randomUUID(), orderId, chargeId, amountCents: order.priceCents, provider: provider.name })
          .returning();
        await enqueueEvent(tx, 'payment.created', { id: created!.id, orderId, chargeId });
        return created!;
      });
    } catch (err) {
      if (isUniqueViolation(err, ONE_PAYMENT_PER_ORDER)) {
        // With the same card the provider gave both requests one charge; with another card it
        // is a second charge, which must go back.
        const [recorded] = await service.database.db.select().from(payments).where(eq(payments.orderId, orderId));
        if (recorded && recorded.chargeId !== chargeId) await giveBack(provider, req.log, { orderId, chargeId });
        throw alreadyPaid();
      }
      if (err instanceof CancelledMeanwhile) {
        await giveBack(provider, req.log, { orderId, chargeId });
        throw cancelledOrder();
      }
      throw err;
    }
    req.log.info({ orderId, paymentId: payment.id, provider: provider.name }, 'payment recorded');
    res.status(201).json({ id: payment.id, orderId: payment.orderId } satisfies Payment);
  };
}

/** The order's own state decides first; the deadline holds even before order.cancelled arrives. */
async function refuseUnpayable(service: PaymentsService, order: Order) {
  if (order.status === OrderStatus.Cancelled) throw cancelledOrder();
  if (order.status === OrderStatus.Complete) throw alreadyPaid();
  const [paid] = await service.database.db
    .select({ id: payments.id })
    .from(payments)
    .where(eq(payments.orderId, order.id));
  if (paid) throw alreadyPaid();
  if (order.expiresAt.getTime() <= Date.now()) throw badRequest('Order has expired');
}

/** A charge that did not become the order's payment is refunded; if that fails, the log says so. */
async function giveBack(provider: PaymentProvider, log: Logger, charge: { orderId: string; chargeId: string }) {
  try {
    await provider.refund({ chargeId: charge.chargeId, idempotencyKey: `refund-${charge.chargeId}` });
    log.warn({ ...charge, provider: provider.name }, 'charge not recorded for the order; refunded');
  } catch (err) {
    log.error({ err, ...charge, provider: provider.name }, 'charge not recorded for the order; REFUND FAILED, refund by hand');
  }
}

import { createHash } from 'node:crypto';
import { AppError, badRequest, isUniqueViolation, notFound, type Logger } from '@ticketing/common';
import { OrderStatus } from '@ticketing/contracts';
import { eq } from 'drizzle-orm';
import { recordPayment } from './changes.js';
import type { PaymentsService } from './config.js';
import { ONE_PAYMENT_PER_ORDER, orders, payments, type Order, type Payment } from './db/schema.js';
import type { PaymentProvider } from './providers/payment-provider.js';

const orderNotFound = () => notFound('Order not found');
const cancelledOrder = () => badRequest('Cannot pay for a cancelled order');
const alreadyPaid = () => badRequest('Order has already been paid');
const providerUnavailable = () => new AppError(502, [{ message: 'Payment provider unavailable' }]);

/** The order was cancelled while its card was being charged. */
class CancelledMeanwhile extends Error {}

/** Who pays for which order, with which card token. */
export interface PaymentRequest {
  buyerId: string;
  orderId: string;
  token: string;
}

/**
 * The buyer pays for their order with a card token; returns the recorded payment.
 *
 * The charge goes to the provider outside any database transaction (a slow provider must not
 * hold a connection or a lock). Its idempotency key is the order and the card token, so a
 * double submit gets the same charge back instead of a second one, while a buyer whose card
 * was declined can still pay with another (the provider remembers a key's first answer).
 * The payment row and its payment.created event are then written in one transaction; the
 * unique order id decides which of two concurrent payments is recorded, and a losing charge
 * made with another card is refunded.
 */
export async function payForOrder(
  service: PaymentsService,
  provider: PaymentProvider,
  { buyerId, orderId, token }: PaymentRequest,
  log: Logger,
): Promise<Payment> {
  const order = await findBuyersOrder(service, buyerId, orderId);
  await refuseUnpayable(service, order);
  const chargeId = await chargeCard(provider, order, token, log);
  const payment = await recordOrGiveBack(service, provider, order, chargeId, log);
  log.info({ orderId, paymentId: payment.id, provider: provider.name }, 'payment recorded');
  return payment;
}

async function findBuyersOrder(service: PaymentsService, buyerId: string, orderId: string): Promise<Order> {
  const [order] = await service.database.db.select().from(orders).where(eq(orders.id, orderId));
  // Someone else's order is "not found" too: its existence is not theirs to learn.
  if (!order || order.userId !== buyerId) throw orderNotFound();
  return order;
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

/** Charges the order's price; the same order and card token always make the same charge. */
async function chargeCard(provider: PaymentProvider, order: Order, token: string, log: Logger): Promise<string> {
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
    log.error({ err, orderId: order.id, provider: provider.name }, 'payment provider failed');
    throw providerUnavailable();
  }
  if (!result.ok) throw badRequest(result.message, 'token');
  return result.chargeId;
}

/** Records the charge as the order's payment, or gives it back when it lost a race or the order ended. */
async function recordOrGiveBack(
  service: PaymentsService,
  provider: PaymentProvider,
  order: Order,
  chargeId: string,
  log: Logger,
): Promise<Payment> {
  const charge = { orderId: order.id, chargeId };
  try {
    return await service.transaction(async (tx) => {
      // Shared lock: an order.cancelled being applied now finishes first (or waits for this).
      const [current] = await tx.select().from(orders).where(eq(orders.id, order.id)).for('share');
      if (current?.status === OrderStatus.Cancelled) throw new CancelledMeanwhile();
      return recordPayment(tx, { ...charge, amountCents: order.priceCents, provider: provider.name });
    });
  } catch (err) {
    if (isUniqueViolation(err, ONE_PAYMENT_PER_ORDER)) {
      // With the same card the provider gave both requests one charge; with another card it
      // is a second charge, which must go back.
      const [recorded] = await service.database.db.select().from(payments).where(eq(payments.orderId, order.id));
      if (recorded && recorded.chargeId !== chargeId) await giveBack(provider, log, charge);
      throw alreadyPaid();
    }
    if (err instanceof CancelledMeanwhile) {
      await giveBack(provider, log, charge);
      throw cancelledOrder();
    }
    throw err;
  }
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

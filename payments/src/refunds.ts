import { PeriodicWorker, type ServiceContext } from '@ticketing/common';
import { OrderStatus } from '@ticketing/contracts';
import { and, eq, isNull } from 'drizzle-orm';
import { markRefunded } from './changes.js';
import { orders, payments } from './db/schema.js';
import type { PaymentProvider } from './providers/payment-provider.js';

/**
 * Gives the money back for payments whose order was cancelled anyway. That happens when a
 * payment races the order's end: the charge finishes after the order expired, or the
 * payment.created reaches the orders service after expiry (or the buyer) cancelled the order.
 * The orders service keeps such an order cancelled (its ticket may already be someone
 * else's); order.cancelled then marks this service's replica cancelled, and this finds the
 * payment and refunds it.
 *
 * Like the outbox relay it is a periodic pass over the database, outside any transaction (a
 * slow provider holds no lock), so a crash only delays a refund: the next pass, here or on
 * another replica, does it. The idempotency key makes a refund repeated by a crash or by two
 * replicas one refund at the provider.
 */
export const refundSweep = (service: ServiceContext, provider: PaymentProvider, intervalMs = 1000) =>
  new PeriodicWorker('refundSweep', () => refundCancelledPayments(service, provider), { intervalMs, logger: service.logger });

/** Refunds every kept payment of a cancelled order; returns how many it refunded. */
export async function refundCancelledPayments(service: ServiceContext, provider: PaymentProvider): Promise<number> {
  const due = await service.database.db
    .select({ id: payments.id, orderId: payments.orderId, chargeId: payments.chargeId })
    .from(payments)
    .innerJoin(orders, eq(orders.id, payments.orderId))
    .where(and(eq(orders.status, OrderStatus.Cancelled), isNull(payments.refundedAt)));
  let refunded = 0;
  for (const payment of due) {
    const log = service.logger.child({ ...payment, provider: provider.name });
    try {
      await provider.refund({ chargeId: payment.chargeId, idempotencyKey: `refund-${payment.chargeId}` });
    } catch (err) {
      log.error({ err }, 'refund of a payment for a cancelled order failed; will retry');
      continue;
    }
    await markRefunded(service.database.db, payment.id);
    log.warn('payment for a cancelled order refunded');
    refunded++;
  }
  return refunded;
}

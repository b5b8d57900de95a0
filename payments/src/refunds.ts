import type { ServiceContext } from '@ticketing/common';
import { OrderStatus } from '@ticketing/contracts';
import { and, eq, isNull } from 'drizzle-orm';
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
 * Like the outbox relay it works from the database on a timer, outside any transaction (a
 * slow provider holds no lock), so a crash only delays a refund: the next pass, here or on
 * another replica, does it. The idempotency key makes a refund repeated by a crash or by two
 * replicas one refund at the provider.
 */
export class RefundSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly service: ServiceContext,
    private readonly provider: PaymentProvider,
    private readonly intervalMs = 1000,
  ) {}

  start() {
    this.kick();
    this.timer = setInterval(() => this.kick(), this.intervalMs);
    this.timer.unref();
  }

  kick() {
    this.running ??= this.sweep()
      .then(() => undefined)
      .catch((err) => this.service.logger.warn({ err }, 'refund pass failed; will retry'))
      .finally(() => {
        this.running = undefined;
      });
  }

  async stop() {
    clearInterval(this.timer);
    await this.running;
  }

  /** Refunds every kept payment of a cancelled order; returns how many it refunded. */
  async sweep(): Promise<number> {
    const due = await this.service.database.db
      .select({ id: payments.id, orderId: payments.orderId, chargeId: payments.chargeId })
      .from(payments)
      .innerJoin(orders, eq(orders.id, payments.orderId))
      .where(and(eq(orders.status, OrderStatus.Cancelled), isNull(payments.refundedAt)));
    let refunded = 0;
    for (const payment of due) {
      const log = this.service.logger.child({ ...payment, provider: this.provider.name });
      try {
        await this.provider.refund({ chargeId: payment.chargeId, idempotencyKey: `refund-${payment.chargeId}` });
      } catch (err) {
        log.error({ err }, 'refund of a payment for a cancelled order failed; will retry');
        continue;
      }
      await this.service.database.db
        .update(payments)
        .set({ refundedAt: new Date() })
        .where(and(eq(payments.id, payment.id), isNull(payments.refundedAt)));
      log.warn('payment for a cancelled order refunded');
      refunded++;
    }
    return refunded;
  }
}

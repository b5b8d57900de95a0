import { randomUUID } from 'node:crypto';
import { type Check } from '../check.js';
import { aPurchase, anOrder, orderReaching, same } from '../steps.js';

/** Chapter 13: the purchase as a saga, its point of no return, and the one request payments asks orders. */

export const completeIsFinal: Check = {
  id: 'complete-is-final',
  title: 'completion is the point of no return: a complete order cannot be cancelled (400), and its sold ticket cannot be edited (400)',
  guide: ['13-why-microservices.md', 'The purchase as a saga'],
  async run(shop) {
    const { seller, buyer, ticket, order } = await aPurchase(shop);
    await buyer.expect(400, 'DELETE', `/api/orders/${order.id}`);
    same('the order after the DELETE', (await buyer.expect(200, 'GET', `/api/orders/${order.id}`)).status, 'complete');
    await seller.expect(400, 'PUT', `/api/tickets/${ticket.id}`, { title: 'Changed', price: 5 });
  },
};

export const claimAsksOrders: Check = {
  id: 'claim-asks-orders',
  title: 'payments asks orders before charging: an order cancelled a moment ago is refused (400), an order nobody has is 404 at once',
  guide: ['13-why-microservices.md', 'Synchronous and asynchronous'],
  async run(shop) {
    const { buyer, order } = await anOrder(shop);
    await buyer.expect(204, 'DELETE', `/api/orders/${order.id}`);
    // At once: payments' replica may not have heard order.cancelled yet; orders has.
    await buyer.expect(400, 'POST', '/api/payments', { orderId: order.id, token: 'tok_visa' });
    await buyer.expect(404, 'POST', '/api/payments', { orderId: randomUUID(), token: 'tok_visa' });
    await orderReaching(shop, buyer, order.id, 'cancelled');
  },
};

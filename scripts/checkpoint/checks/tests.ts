import { type Check } from '../check.js';
import { anOrder, same } from '../steps.js';

/** Chapter 17: the behaviour the chapter's step-by-step test pins, on the running system. */

export const cancelledEvent: Check = {
  id: 'order-cancelled-event',
  title: 'an unpaid order that is cancelled gives order.cancelled at version 1, exactly {id, version, ticket: {id}}, as the chapter\'s test expects',
  guide: ['17-writing-tests.md', 'Writing one, step by step'],
  async run(shop) {
    const bus = await shop.bus();
    const { buyer, ticket, order } = await anOrder(shop);
    await buyer.expect(204, 'DELETE', `/api/orders/${order.id}`);
    const event = await bus.event('order.cancelled for the order', (e) => e.subject === 'order.cancelled' && (e.payload as { id: string }).id === order.id, shop.timeoutMs);
    same('order.cancelled', event.payload, { id: order.id, version: 1, ticket: { id: ticket.id } });
  },
};

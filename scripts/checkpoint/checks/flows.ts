import { fail, type Check } from '../check.js';
import { aPurchase, anOrder, orderReaching, orderTicket, same, ticketReaching } from '../steps.js';

/** Chapter 3's flows through the API (purchase, cancel), and the purchase's events in the chapter's order. */

export const purchaseFlow: Check = {
  id: 'purchase',
  title: 'a purchase: the order reserves the ticket, tok_visa pays, the order completes (version 1), the ticket is sold and no one else can order it',
  guide: ['03-flows.md', 'Purchase'],
  async run(shop) {
    const { seller, buyer, ticket, order } = await anOrder(shop, 'Front row', 31);
    same('the new order', [order.status, order.version], ['created', 0]);
    await ticketReaching(shop, seller, ticket.id, 'reserved by the order (tickets heard order.created)', (t) => t.orderId === order.id);
    await buyer.expect(201, 'POST', '/api/payments', { orderId: order.id, token: 'tok_visa' });
    same('the paid order\'s version', (await orderReaching(shop, buyer, order.id, 'complete')).version, 1);
    await ticketReaching(shop, seller, ticket.id, 'sold (tickets heard order.completed)', (t) => t.status === 'sold');
    await (await shop.newUser()).expect(409, 'POST', '/api/orders', { ticketId: ticket.id });
    return `order ${order.id}`;
  },
};

export const cancelFlow: Check = {
  id: 'cancel',
  title: 'a cancelled order (DELETE) frees its ticket: tickets hears order.cancelled and another buyer can order it',
  guide: ['03-flows.md', 'Cancel'],
  async run(shop) {
    const { seller, buyer, ticket, order } = await anOrder(shop);
    await ticketReaching(shop, seller, ticket.id, 'reserved by the order', (t) => t.orderId === order.id);
    await buyer.expect(204, 'DELETE', `/api/orders/${order.id}`);
    same('the cancelled order', [(await orderReaching(shop, buyer, order.id, 'cancelled')).version], [1]);
    const freed = await ticketReaching(shop, seller, ticket.id, 'available again (tickets heard order.cancelled)', (t) => t.status === 'available');
    same('the freed ticket', [freed.orderId, freed.version], [null, 2]);
    await orderTicket(shop, await shop.newUser(), ticket.id);
  },
};

export const purchaseEvents: Check = {
  id: 'purchase-events',
  title: "a purchase's events come in the chapter's order: order.created, ticket.updated (reserved), payment.created, order.completed, ticket.updated (sold)",
  guide: ['03-flows.md', 'Purchase'],
  async run(shop) {
    const bus = await shop.bus();
    const { order, ticket } = await aPurchase(shop);
    const sold = await bus.event('ticket.updated saying the ticket is sold', (e) => e.subject === 'ticket.updated' && (e.payload as { id: string; status?: string }).id === ticket.id && (e.payload as { status?: string }).status === 'sold', shop.timeoutMs);
    const seen = bus.about(order.id).filter((e) => e.seq <= sold.seq).map((e) => `${e.subject}${e.subject === 'ticket.updated' ? ` (${(e.payload as { status: string }).status})` : ''}`);
    const expected = ['order.created', 'ticket.updated (reserved)', 'payment.created', 'order.completed', 'ticket.updated (sold)'];
    // Each service goes at its own pace: only the causal order is fixed (the reservation and the payment may come either way round).
    for (const [before, after] of [[0, 1], [0, 2], [2, 3], [3, 4], [1, 4]] as const) {
      const a = seen.indexOf(expected[before]!);
      const b = seen.indexOf(expected[after]!);
      if (a < 0 || b < 0 || a > b) fail(`the order's events were ${seen.join(', ')}: expected ${expected[before]} before ${expected[after]}`);
    }
    return seen.join(' → ');
  },
};

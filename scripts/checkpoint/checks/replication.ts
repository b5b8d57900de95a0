import { busAccess, type BusEvent, type Subject } from '@ticketing/contracts';
import { fail, type Check } from '../check.js';
import { aPurchase, orderTicket, same, sellTicket, ticketReaching } from '../steps.js';

/** Chapters 4 and 5: replicas that follow versions in order, and events handled once by every listener. */

const listenersOf = (subject: string) =>
  Object.entries(busAccess)
    .filter(([, access]) => (access.consumes as readonly Subject[]).includes(subject as Subject))
    .map(([service]) => service);

/** The ticket's ticket.updated of that version. */
const ticketUpdate = (id: string, version: number) => (e: BusEvent) =>
  e.subject === 'ticket.updated' && (e.payload as { id: string }).id === id && (e.payload as { version: number }).version === version;

export const replicaVersions: Check = {
  id: 'replica-versions',
  title: "orders' replica follows the ticket's versions: an edit (version 1) reaches it before the order, the reservation is version 2",
  guide: ['04-replication-and-versions.md', 'How the replica is fed'],
  async run(shop) {
    const bus = await shop.bus();
    const [seller, buyer] = await Promise.all([shop.newUser(), shop.newUser()]);
    const ticket = await sellTicket(seller, 'Before the edit', 20);
    const edited = await seller.expect(200, 'PUT', `/api/tickets/${ticket.id}`, { title: 'After the edit', price: 25 });
    same('the edited ticket\'s version', edited.version, 1);
    const update = await bus.event('ticket.updated version 1', ticketUpdate(ticket.id, 1), shop.timeoutMs);
    await bus.handledBy(update, ['orders'], shop.timeoutMs);
    const order = await orderTicket(shop, buyer, ticket.id);
    same("the order's ticket (orders' replica)", order.ticket, { id: ticket.id, title: 'After the edit', price: 25 });
    const reserved = await ticketReaching(shop, seller, ticket.id, 'reserved', (t) => t.orderId === order.id);
    same('the reserved ticket\'s version', reserved.version, 2);
    // The API shows the reservation once tickets has committed it; its event follows from the outbox.
    await bus.event('ticket.updated version 2', ticketUpdate(ticket.id, 2), shop.timeoutMs);
    const versions = bus.about(ticket.id).filter((e) => e.subject.startsWith('ticket.'));
    await Promise.all(versions.map((e) => bus.handledBy(e, ['orders'], shop.timeoutMs)));
    same("the ticket's events' versions", versions.map((e) => (e.payload as { version: number }).version), [0, 1, 2]);
  },
};

export const handledOnce: Check = {
  id: 'handled-once',
  title: "each of a purchase's events is on the bus once, under an event id of its own, and every service that listens to it has handled it",
  guide: ['05-outbox-and-inbox.md', 'Which crash each one survives'],
  async run(shop) {
    const bus = await shop.bus();
    const { order, ticket } = await aPurchase(shop);
    const events = [...new Set([...bus.about(order.id), ...bus.about(ticket.id)])].filter((e) => !e.subject.startsWith('deadletter.'));
    const ids = events.map((e) => e.headers['Nats-Msg-Id']);
    if (ids.some((id) => !id) || new Set(ids).size !== ids.length) fail(`event ids (Nats-Msg-Id) repeat or are missing: ${ids.join(', ')}`);
    for (const subject of ['ticket.created', 'order.created', 'payment.created', 'order.completed']) {
      if (!events.some((e) => e.subject === subject)) fail(`no ${subject} for the purchase on the bus`);
    }
    await Promise.all(events.map((e) => bus.handledBy(e, listenersOf(e.subject), shop.timeoutMs)));
    return `${events.length} events, each handled by its listeners`;
  },
};

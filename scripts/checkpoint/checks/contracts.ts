import { eventSchemas, isDeadLetter, REPLAY_PREFIX, subjects } from '@ticketing/contracts';
import { fail, type Check } from '../check.js';
import { aPurchase, sellTicket, same } from '../steps.js';

/** Chapters 2 and 14: events on the wire as the contract defines them, in one stream. */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/;

export const ticketCreatedOnTheWire: Check = {
  id: 'ticket-created-contract',
  title: "a new ticket's ticket.created is on the bus as its contract says, with an event id (Nats-Msg-Id) and a traceparent",
  guide: ['02-event-contracts.md', 'On the wire'],
  async run(shop) {
    const bus = await shop.bus();
    const seller = await shop.newUser();
    const ticket = await sellTicket(seller, 'Contract check', 12.5);
    const event = await bus.event('ticket.created for the new ticket', (e) => e.subject === 'ticket.created' && (e.payload as { id?: string }).id === ticket.id, shop.timeoutMs);
    const payload = event.payload as Record<string, unknown>;
    // The explorer shows user ids by their first eight characters only.
    if (!String(payload.userId).startsWith(seller.id.slice(0, 8))) fail(`ticket.created names user ${String(payload.userId)}, not the seller ${seller.id}`);
    const parsed = eventSchemas['ticket.created'].safeParse({ ...payload, userId: seller.id });
    if (!parsed.success) fail(`ticket.created does not match its contract (contracts/src/events.ts): ${parsed.error.message}`);
    same('ticket.created', { ...payload, userId: seller.id }, { id: ticket.id, version: 0, title: 'Contract check', price: 12.5, userId: seller.id });
    if (!UUID.test(event.headers['Nats-Msg-Id'] ?? '')) fail(`its Nats-Msg-Id header is ${JSON.stringify(event.headers['Nats-Msg-Id'])}, not an event id (a UUID)`);
    if (!TRACEPARENT.test(event.headers['traceparent'] ?? '')) fail(`its traceparent header is ${JSON.stringify(event.headers['traceparent'])}, not W3C trace context`);
    return `stream ${bus.hello?.stream}, #${event.seq}`;
  },
};

export const streamSubjects: Check = {
  id: 'stream-subjects',
  title: "the stream holds the ten subjects (and dead letters, replays) only: a payment's request to orders is never stored",
  guide: ['14-jetstream-primer.md', 'Request-reply in core NATS'],
  async run(shop) {
    const bus = await shop.bus();
    // A payment by card token asks orders (orders.payment-claim) before charging.
    await aPurchase(shop);
    const known = new Set<string>(subjects);
    const others = bus.events.filter((e) => !known.has(e.subject) && !isDeadLetter(e.subject) && !e.subject.startsWith(`${REPLAY_PREFIX}.`));
    if (others.length) fail(`the stream holds subjects no contract names: ${[...new Set(others.map((e) => e.subject))].join(', ')}`);
    const deadLetters = bus.events.filter((e) => isDeadLetter(e.subject)).length;
    return `${bus.events.length} recent events${deadLetters ? `, ${deadLetters} dead letters among them (npm run dead-letters -- list)` : ''}`;
  },
};

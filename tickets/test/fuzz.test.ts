import {
  cookieHeader,
  expectUtf8IfRead,
  invalidSessionCookies,
  itKeepsItsContractUnderFuzzing,
  pathId,
  probeEndpoints,
  requestsTo,
  sentJson,
  startFuzzTarget,
  type Endpoint,
  type FuzzRequest,
  type FuzzResponse,
  type FuzzTarget,
} from '@ticketing/testkit/fuzz';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { listeners } from '../src/events/listeners.js';
import { createTicket, reserve, type Tickets, type User } from './helpers.js';
import { aUser, startTickets } from './setup.js';

let t: Tickets;
let target: FuzzTarget;
let owner: User;
let other: User;
let ids: string[];
let invalidCookies: string[];

beforeAll(async () => {
  t = await startTickets();
  await t.listen(listeners);
  [owner, other] = [await aUser(), await aUser()];
  const free = await createTicket(t, owner);
  const reserved = await createTicket(t, owner);
  await reserve(t, reserved);
  const others = await createTicket(t, other);
  ids = [free.id, reserved.id, others.id];
  invalidCookies = await invalidSessionCookies(owner);
  target = await startFuzzTarget(t.service, t.app, { onAccepted: storedAsSent });
});
afterAll(async () => {
  await target?.close();
  await t?.close();
});

const title = fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.constantFrom('Concert', 'Gig at the Roundhouse'));
const price = fc.oneof(
  fc.integer({ min: 50, max: 100_000_000 }).map((cents) => cents / 100),
  fc.constantFrom(1e21, 0.1 + 0.2, '12.50', -0, 1_000_000, 1_000_000.01, 0.005, 0.49, 0.5),
);
const ticketBody = { title, price };
const cursor = fc.nat({ max: 10_000 }).map((seq) => Buffer.from(`s${seq}`).toString('base64url'));

const endpoints: Endpoint[] = [
  { method: 'POST', path: '/api/tickets', body: ticketBody },
  { method: 'GET', path: '/api/tickets', query: { limit: fc.integer({ min: 0, max: 250 }).map(String), cursor } },
  { method: 'GET', path: '/api/tickets/:id' },
  { method: 'PUT', path: '/api/tickets/:id', body: ticketBody },
  ...probeEndpoints,
];

/** An accepted ticket holds the title (trimmed) and price it was sent, not a rewritten one. */
function storedAsSent(request: FuzzRequest, response: FuzzResponse) {
  if (!['POST', 'PUT'].includes(request.method) || !request.url.startsWith('/api/tickets')) return;
  expectUtf8IfRead(request);
  const sent = sentJson(request) as { title?: unknown; price?: unknown } | undefined;
  if (!sent) return;
  const ticket = JSON.parse(response.text) as { title: string; price: number };
  expect(ticket.title, 'stored title').toBe(String(sent.title).trim());
  expect(ticket.price, 'stored price').toBe(sent.price);
}

const requests = () =>
  requestsTo(endpoints, {
    ids: pathId(ids),
    cookies: cookieHeader([owner.cookie, other.cookie], invalidCookies),
  });

describe('fuzzing the tickets API', () => {
  itKeepsItsContractUnderFuzzing({
    target: () => target,
    requests,
    runs: 600,
    raw: () => ({ paths: ['/api/tickets', `/api/tickets/${ids[0]}`, '/healthz'], body: fc.record(ticketBody) }),
  });
});

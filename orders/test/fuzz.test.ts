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
import { createOrder, payFor, replicateTicket, type Orders, type User } from './helpers.js';
import { aUser, startOrders } from './setup.js';

let t: Orders;
let target: FuzzTarget;
let buyer: User;
let other: User;
let ticketIds: string[];
let orderIds: string[];
let invalidCookies: string[];

beforeAll(async () => {
  t = await startOrders();
  await t.listen(listeners);
  [buyer, other] = [await aUser(), await aUser()];
  const [free, alsoFree, heldByOther, paid] = [
    await replicateTicket(t),
    await replicateTicket(t),
    await replicateTicket(t),
    await replicateTicket(t),
  ];
  const othersOrder = await createOrder(t, other, heldByOther.id);
  const paidOrder = await createOrder(t, buyer, paid.id);
  await payFor(t, buyer, paidOrder.id);
  ticketIds = [free.id, alsoFree.id, heldByOther.id, paid.id];
  orderIds = [othersOrder.id, paidOrder.id];
  invalidCookies = await invalidSessionCookies(buyer);
  target = await startFuzzTarget(t.service, t.app, { onAccepted: orderedAsSent });
});
afterAll(async () => {
  await target?.close();
  await t?.close();
});

/** An accepted order is for the ticket sent, by whoever the session says. */
function orderedAsSent(request: FuzzRequest, response: FuzzResponse) {
  if (request.method !== 'POST' || request.url.split('?')[0] !== '/api/orders') return;
  expectUtf8IfRead(request);
  const sent = sentJson(request) as { ticketId?: unknown } | undefined;
  const order = JSON.parse(response.text) as { id: string; userId: string; ticket: { id: string } };
  if (sent) expect(order.ticket.id).toBe(String(sent.ticketId).toLowerCase());
  expect([buyer.id, other.id]).toContain(order.userId);
  // Orders made during the run join the ids to try, so showing and cancelling them is fuzzed too.
  orderIds.push(order.id);
}

const endpoints = (): Endpoint[] => [
  { method: 'POST', path: '/api/orders', body: { ticketId: fc.oneof(fc.constantFrom(...ticketIds), fc.uuid()) } },
  { method: 'GET', path: '/api/orders' },
  { method: 'GET', path: '/api/orders/:id' },
  { method: 'DELETE', path: '/api/orders/:id', weight: 3 },
  ...probeEndpoints,
];

const requests = () =>
  requestsTo(endpoints(), {
    ids: pathId(() => [...orderIds, ...ticketIds]),
    cookies: cookieHeader([buyer.cookie, other.cookie], invalidCookies),
  });

describe('fuzzing the orders API', () => {
  itKeepsItsContractUnderFuzzing({
    target: () => target,
    requests,
    runs: 500,
    raw: () => ({ paths: ['/api/orders', `/api/orders/${orderIds[0]}`], body: fc.record({ ticketId: fc.constantFrom(...ticketIds) }) }),
  });
});

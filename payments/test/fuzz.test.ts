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
import { anOrder, cancel, replicate, type Payments, type User } from './helpers.js';
import { aUser, startPayments } from './setup.js';

let t: Payments;
let target: FuzzTarget;
let buyer: User;
let other: User;
let orderIds: string[];
let invalidCookies: string[];

/** `n` open orders of `user`, as the orders service would replicate them: each can be paid once, then is refused as paid. */
async function openOrders(user: User, n: number) {
  const orders = [];
  for (let i = 0; i < n; i++) orders.push(await replicate(t, anOrder({ userId: user.id })));
  return orders.map((o) => o.id);
}

beforeAll(async () => {
  t = await startPayments();
  await t.listen(listeners);
  [buyer, other] = [await aUser(), await aUser()];
  const cancelled = await replicate(t, anOrder({ userId: buyer.id }));
  await cancel(t, cancelled);
  const expired = await replicate(t, anOrder({ userId: buyer.id, expiresAt: new Date(Date.now() - 1000).toISOString() }));
  orderIds = [...(await openOrders(buyer, 6)), ...(await openOrders(other, 2)), cancelled.id, expired.id];
  invalidCookies = await invalidSessionCookies(buyer);
  target = await startFuzzTarget(t.service, t.app, { onAccepted: paidAsSent, allowedChanges: attemptsOnRecord });
});
afterAll(async () => {
  await target?.close();
  await t?.close();
});

/** An accepted payment is for the order sent, with a card that can pay. */
function paidAsSent(request: FuzzRequest, response: FuzzResponse) {
  if (request.method !== 'POST' || request.url.split('?')[0] !== '/api/payments') return;
  expectUtf8IfRead(request);
  const sent = sentJson(request) as { orderId?: unknown; token?: unknown } | undefined;
  if (!sent) return;
  expect((JSON.parse(response.text) as { orderId: string }).orderId).toBe(String(sent.orderId).toLowerCase());
  expect(['tok_visa', 'tok_mastercard']).toContain(String(sent.token).trim());
}

/**
 * A payment refused once its card reached the provider (declined, a losing second charge given
 * back, the provider down) leaves its attempt on record, and a failed refund its retry.
 */
function attemptsOnRecord(request: { method: string; url: string }, response: FuzzResponse) {
  const charged = request.method === 'POST' && request.url.split('?')[0] === '/api/payments' && [400, 502].includes(response.status);
  return charged ? ['payment_attempts', 'provider_retries'] : [];
}

const endpoints = (): Endpoint[] => [
  {
    method: 'POST',
    path: '/api/payments',
    body: {
      orderId: fc.oneof(fc.constantFrom(...orderIds), fc.uuid()),
      token: fc.constantFrom('tok_visa', 'tok_mastercard', 'tok_chargeDeclined', 'tok_unknown'),
    },
    weight: 8,
  },
  ...probeEndpoints,
];

const requests = () =>
  requestsTo(endpoints(), {
    ids: pathId(orderIds),
    cookies: cookieHeader([buyer.cookie, other.cookie], invalidCookies),
  });

describe('fuzzing the payments API', () => {
  itKeepsItsContractUnderFuzzing({
    target: () => target,
    requests,
    runs: 500,
    raw: () => ({ paths: ['/api/payments', `/api/payments/${orderIds[0]}`], body: fc.record({ orderId: fc.constantFrom(...orderIds), token: fc.constant('tok_visa') }) }),
  });
});

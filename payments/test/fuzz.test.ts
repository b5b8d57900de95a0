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
import { anOrder, cancel, replicate, startIntent, type Payments, type User } from './helpers.js';
import { aUser, startPayments } from './setup.js';

let t: Payments;
let target: FuzzTarget;
let buyer: User;
let other: User;
let orderIds: string[];
let clientSecrets: string[];
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
  // Intents started for some of them, so the sandbox's steps meet real client secrets (the buyer's and another's).
  clientSecrets = [];
  for (const [user, orderId] of [[buyer, orderIds[0]], [buyer, orderIds[1]], [other, orderIds[6]]] as const) {
    clientSecrets.push((await startIntent(t, user, { orderId })).body.clientSecret as string);
  }
  invalidCookies = await invalidSessionCookies(buyer);
  target = await startFuzzTarget(t.service, t.app, { onAccepted: paidAsSent, allowedChanges: attemptsOnRecord });
});
afterAll(async () => {
  await target?.close();
  await t?.close();
});

/**
 * An accepted payment is for the order sent, with a card that can pay; an accepted intent is
 * the order's; an accepted sandbox step names a method or outcome the sandbox knows.
 */
function paidAsSent(request: FuzzRequest, response: FuzzResponse) {
  if (request.method !== 'POST') return;
  const path = request.url.split('?')[0];
  const sent = sentJson(request) as Record<string, unknown> | undefined;
  if (!path?.startsWith('/api/payments') || !sent) return;
  expectUtf8IfRead(request);
  const answer = JSON.parse(response.text) as Record<string, unknown>;
  if (path === '/api/payments') {
    expect(answer.orderId).toBe(String(sent.orderId).toLowerCase());
    expect(['tok_visa', 'tok_mastercard']).toContain(String(sent.token).trim());
  } else if (path === '/api/payments/intents') {
    expect(answer).toMatchObject({ orderId: String(sent.orderId).toLowerCase(), provider: 'sandbox', currency: 'usd' });
    expect(answer.clientSecret).toMatch(/^pi_sandbox_\w+_secret_\w+$/);
  } else {
    expect(clientSecrets).toContain(String(sent.clientSecret).trim());
    expect(answer.status).toMatch(/^(succeeded|requires_action|requires_payment_method)$/);
  }
}

/**
 * A payment refused once its card reached the provider (declined, a losing second charge given
 * back, the provider down) leaves its attempt on record, and a failed refund its retry.
 */
function attemptsOnRecord(request: { method: string; url: string }, response: FuzzResponse): string[] {
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
  { method: 'POST', path: '/api/payments/intents', body: { orderId: fc.oneof(fc.constantFrom(...orderIds), fc.uuid()) }, weight: 4 },
  {
    method: 'POST',
    path: '/api/payments/sandbox/confirm',
    body: {
      clientSecret: fc.oneof(fc.constantFrom(...clientSecrets), fc.string()),
      paymentMethod: fc.constantFrom('pm_card_visa', 'pm_card_chargeDeclined', 'pm_card_authenticationRequired', 'tok_visa'),
    },
    weight: 4,
  },
  {
    method: 'POST',
    path: '/api/payments/sandbox/authenticate',
    body: { clientSecret: fc.oneof(fc.constantFrom(...clientSecrets), fc.string()), outcome: fc.constantFrom('complete', 'fail', 'later') },
    weight: 3,
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

import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { eventSchemas } from '@ticketing/contracts';
import { REDACTED, redactPayload } from '../lib/explorer-redaction.js';

/** What the event explorer's feed may show of each payload. */
const paymentId = randomUUID();
const orderId = randomUUID();
const userId = randomUUID();
const payment = eventSchemas['payment.created'].parse({ id: paymentId, orderId, chargeId: 'ch_3PqSecretCharge' });

describe('the explorer’s redaction', () => {
  it('when a payment.created passes, then its payment id and charge id are hidden and its order id shown', () => {
    expect(redactPayload('payment.created', payment)).toEqual({ id: REDACTED, orderId, chargeId: REDACTED });
  });

  it('when a payment.created comes back as a dead letter or a replay, then it is hidden the same way', () => {
    for (const subject of ['deadletter.orders-payment-created.payment.created', 'replay.orders-payment-created.payment.created']) {
      expect(redactPayload(subject, payment)).toEqual({ id: REDACTED, orderId, chargeId: REDACTED });
    }
  });

  it('when a payment.created body is not JSON, then it is hidden whole', () => {
    expect(redactPayload('payment.created', `{"id":"${paymentId}","chargeId":"ch_3PqSecretCharge"`)).toBe(REDACTED);
  });

  it('when a payment.started passes (also as a dead letter or a replay), then its attempt id is hidden and its order id shown', () => {
    const started = eventSchemas['payment.started'].parse({ id: randomUUID(), orderId });
    for (const subject of ['payment.started', 'deadletter.orders-payment-started.payment.started', 'replay.orders-payment-started.payment.started']) {
      expect(redactPayload(subject, started)).toEqual({ id: REDACTED, orderId });
    }
    expect(redactPayload('payment.started', `{"id":"${started.id}"`)).toBe(REDACTED);
  });

  it('when a session is revoked, then the token id is hidden', () => {
    expect(redactPayload('session.revoked', { id: randomUUID(), userId, expiresAt: '2026-01-01T00:00:00Z' })).toEqual({
      id: REDACTED,
      userId: `${userId.slice(0, 8)}…`,
      expiresAt: '2026-01-01T00:00:00Z',
    });
  });

  it('when an order or a ticket passes, then its ids stay (they are what a learner follows) and the user id is cut short', () => {
    const ticketId = randomUUID();
    const order = { id: orderId, version: 0, status: 'created', userId, expiresAt: '2026-01-01T00:00:00Z', ticket: { id: ticketId, price: 10 } };

    expect(redactPayload('order.created', order)).toEqual({ ...order, userId: `${userId.slice(0, 8)}…` });
    const updated = eventSchemas['order.updated'].parse({ id: orderId, version: 1, status: 'awaiting:payment', ticket: { id: ticketId } });
    expect(redactPayload('order.updated', updated)).toEqual(updated);
  });

  it('when a charge id, payment id or token hides deeper in any payload, then it is hidden there too', () => {
    const nested = { items: [{ chargeId: 'ch_1' }], meta: { paymentId: 'p', jti: 'j', token: 'tok_visa' } };

    expect(redactPayload('anything.else', nested)).toEqual({ items: [{ chargeId: REDACTED }], meta: { paymentId: REDACTED, jti: REDACTED, token: REDACTED } });
  });
});

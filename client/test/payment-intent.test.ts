import type { PaymentIntent } from '@ticketing/contracts';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { ApiResult } from '../lib/api-result.js';
import {
  authenticateSandbox,
  confirmSandbox,
  forgetChallenge,
  inFlight,
  loadChallenge,
  saveChallenge,
  signInPath,
  startIntent,
  stateOfIntent,
  stripeReturn,
} from '../lib/payment-intent.js';
import { PaymentStateNotice, paymentErrorId } from '../components/payment-state.js';

const intent: PaymentIntent = {
  orderId: 'o-1',
  provider: 'sandbox',
  clientSecret: 'pi_1_secret_abc',
  status: 'requires_payment_method',
  amount: 12.5,
  currency: 'usd',
  lastError: null,
};

type Answer = { status: number; body?: unknown };

/** A server that answers each request with the next scripted answer, and records what it was asked. */
function scripted(...answers: Answer[]) {
  const asked: { method: string; path: string; body: unknown }[] = [];
  const call = async <T>(method: 'POST', path: `/api/${string}`, body: unknown): Promise<ApiResult<T>> => {
    asked.push({ method, path, body });
    const answer = answers.shift();
    if (!answer) throw new Error(`unexpected ${method} ${path}`);
    if (answer.status < 400) return { ok: true, status: answer.status, data: answer.body as T, errors: [], headers: new Headers() };
    const { errors } = answer.body as { errors: { message: string; field?: string }[] };
    return { ok: false, status: answer.status, data: null, errors, headers: new Headers() };
  };
  return { call, asked };
}

const refusal = (message: string) => ({ errors: [{ message }] });

describe('startIntent', () => {
  it('when payments cannot answer for the order yet (503), then it is asked again until the intent comes', async () => {
    const notReady = refusal('The order is not ready for payment yet; try again in a moment');
    const server = scripted({ status: 503, body: notReady }, { status: 503, body: notReady }, { status: 201, body: intent });
    const outcome = await startIntent('o-1', { call: server.call, retryMs: 1 });
    expect(outcome).toEqual({ kind: 'intent', intent });
    expect(server.asked).toEqual(Array(3).fill({ method: 'POST', path: '/api/payments/intents', body: { orderId: 'o-1' } }));
  });

  it('when orders stays unreachable, then after the retries the 503 is shown', async () => {
    const server = scripted(...Array.from({ length: 4 }, () => ({ status: 503, body: refusal('Orders service unavailable; try again in a moment') })));
    const outcome = await startIntent('o-1', { call: server.call, retries: 3, retryMs: 1 });
    expect(outcome).toEqual({ kind: 'error', errors: [{ message: 'Orders service unavailable; try again in a moment' }] });
    expect(server.asked).toHaveLength(4);
  });

  it.each([
    [401, refusal('Not authorized'), { kind: 'signin' }],
    [400, refusal('Order has expired'), { kind: 'refused', errors: [{ message: 'Order has expired' }] }],
    [404, refusal('Order not found'), { kind: 'error', errors: [{ message: 'Order not found' }] }],
    [502, refusal('Payment provider unavailable'), { kind: 'error', errors: [{ message: 'Payment provider unavailable' }] }],
  ])('when payments answers %i, then the outcome is %j', async (status, body, expected) => {
    const server = scripted({ status, body });
    expect(await startIntent('o-1', { call: server.call, retryMs: 1 })).toEqual(expected);
    expect(server.asked).toHaveLength(1);
  });
});

describe('the sandbox routes', () => {
  it('when a method is confirmed, then the client secret and the method are posted and the result comes back', async () => {
    const server = scripted({ status: 200, body: { status: 'requires_action', lastError: null } });
    const outcome = await confirmSandbox('pi_1_secret_abc', 'pm_card_authenticationRequired', server.call);
    expect(outcome).toEqual({ kind: 'result', result: { status: 'requires_action', lastError: null } });
    expect(server.asked).toEqual([
      { method: 'POST', path: '/api/payments/sandbox/confirm', body: { clientSecret: 'pi_1_secret_abc', paymentMethod: 'pm_card_authenticationRequired' } },
    ]);
  });

  it('when the challenge is answered after the intent moved on, then the 400 is a refusal', async () => {
    const server = scripted({ status: 400, body: refusal('This payment is not waiting for authentication') });
    const outcome = await authenticateSandbox('pi_1_secret_abc', 'complete', server.call);
    expect(outcome).toEqual({ kind: 'refused', errors: [{ message: 'This payment is not waiting for authentication' }] });
    expect(server.asked[0]).toEqual({ method: 'POST', path: '/api/payments/sandbox/authenticate', body: { clientSecret: 'pi_1_secret_abc', outcome: 'complete' } });
  });
});

describe('stateOfIntent', () => {
  it.each([
    ['succeeded', null, { kind: 'succeeded' }],
    ['processing', null, { kind: 'processing' }],
    ['requires_action', null, { kind: 'requires_action' }],
    ['requires_payment_method', 'Your card was declined', { kind: 'failed', message: 'Your card was declined' }],
    ['requires_payment_method', 'Authentication failed', { kind: 'failed', message: 'Authentication failed' }],
    ['requires_payment_method', null, { kind: 'idle' }],
    ['requires_confirmation', null, { kind: 'idle' }],
    ['canceled', null, { kind: 'failed', message: 'This payment was cancelled.' }],
  ] as const)('when the intent is %s (last error %s), then the buyer sees %j', (status, lastError, expected) => {
    expect(stateOfIntent(status, lastError)).toEqual(expected);
  });

  it('when a payment has not ended, then the order is followed; when it failed or has not started, then not', () => {
    expect([stateOfIntent('processing', null), stateOfIntent('requires_action', null), stateOfIntent('succeeded', null)].every(inFlight)).toBe(true);
    expect([stateOfIntent('requires_payment_method', 'Your card was declined'), stateOfIntent('requires_payment_method', null)].some(inFlight)).toBe(false);
  });
});

/** sessionStorage's interface over a Map. */
class MemoryStorage implements Storage {
  private readonly items = new Map<string, string>();
  get length() {
    return this.items.size;
  }
  clear() {
    this.items.clear();
  }
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  key(index: number) {
    return [...this.items.keys()][index] ?? null;
  }
  removeItem(key: string) {
    this.items.delete(key);
  }
  setItem(key: string, value: string) {
    this.items.set(key, String(value));
  }
}

describe('the pending challenge in sessionStorage', () => {
  it('when the form leaves a challenge for an order, then that order’s challenge page finds it, another order’s does not, and once answered it is gone', () => {
    const storage = new MemoryStorage();
    saveChallenge(storage, 'o-1', { clientSecret: 'pi_1_secret_abc', amount: 12.5 });
    expect(loadChallenge(storage, 'o-1')).toEqual({ clientSecret: 'pi_1_secret_abc', amount: 12.5 });
    expect(loadChallenge(storage, 'o-2')).toBeNull();
    forgetChallenge(storage, 'o-1');
    expect(loadChallenge(storage, 'o-1')).toBeNull();
    expect(storage.length).toBe(0);
  });

  it.each(['not json', '{"clientSecret":""}', '{"clientSecret":"x","amount":"12"}', '[]', 'null'])('when the stored value is %s, then there is no challenge', (value) => {
    const storage = new MemoryStorage();
    storage.setItem('sandbox-challenge:o-1', value);
    expect(loadChallenge(storage, 'o-1')).toBeNull();
  });
});

describe('stripeReturn', () => {
  it('when Stripe sends the buyer back, then the client secret and status are read and the query is left without them', () => {
    expect(stripeReturn('?payment_intent=pi_1&payment_intent_client_secret=pi_1_secret_abc&redirect_status=succeeded')).toEqual({
      clientSecret: 'pi_1_secret_abc',
      redirectStatus: 'succeeded',
      rest: '',
    });
    expect(stripeReturn('?x=1&payment_intent_client_secret=pi_1_secret_abc&redirect_status=failed')).toMatchObject({ redirectStatus: 'failed', rest: '?x=1' });
  });

  it('when the page was opened without them, then there is nothing to handle', () => {
    expect(stripeReturn('')).toBeNull();
    expect(stripeReturn('?redirect_status=succeeded')).toBeNull();
  });
});

describe('signInPath', () => {
  it('comes back to the page, encoded', () => {
    expect(signInPath('/orders/o-1/authenticate')).toBe('/auth/signin?next=%2Forders%2Fo-1%2Fauthenticate');
  });
});

describe('PaymentStateNotice', () => {
  const render = (state: Parameters<typeof PaymentStateNotice>[0]['state']) => renderToStaticMarkup(createElement(PaymentStateNotice, { state }));

  it('when the payment failed, then the reason is an alert with the id the choices are described by', () => {
    const html = render({ kind: 'failed', message: 'Your card was declined' });
    expect(html).toContain(`id="${paymentErrorId}"`);
    expect(html).toContain('role="alert"');
    expect(html).toContain('Your card was declined');
  });

  it('when the payment is processing or waits for the bank, then a status says so; idle and succeeded say nothing here', () => {
    expect(render({ kind: 'processing' })).toMatch(/role="status"[^>]*>Processing your payment/);
    expect(render({ kind: 'requires_action' })).toContain('Your bank needs you to confirm this payment.');
    expect(render({ kind: 'idle' })).toBe('');
    expect(render({ kind: 'succeeded' })).toBe('');
  });
});

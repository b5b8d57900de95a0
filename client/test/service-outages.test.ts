import { afterEach, describe, expect, it } from 'vitest';
import { isPageService, knownDown, RETRY_MS, serviceAnswered, serviceFailed, serviceOfPage, unavailableMessage } from '../lib/service-outages.js';

/** Which pages wait for which service, and how an outage of one is kept (proxy.ts and server-api.ts tell it). */
afterEach(() => {
  serviceAnswered('tickets');
  serviceAnswered('orders');
});

const id = '3f0c8a52-9a7e-4d7b-9d55-0e6f1d3c2b1a';

describe('the pages that cannot be shown without a service', () => {
  it.each([
    ['/', 'tickets'],
    [`/tickets/${id}`, 'tickets'],
    [`/tickets/${id}/edit`, 'tickets'],
    ['/tickets/mine', 'tickets'],
    ['/tickets/mine/', 'tickets'],
    ['/orders', 'orders'],
    ['/orders/', 'orders'],
    [`/orders/${id}`, 'orders'],
    [`/orders/${id}/authenticate`, 'orders'],
  ])('when the page is %s, then it needs %s', (path, service) => expect(serviceOfPage(path)).toBe(service));

  it.each(['/auth/signin', '/auth/signup', '/tickets/new', '/events', '/tickets/a/b', `/orders/${id}/edit`, `/orders/${id}/authenticate/x`, '/ordersx', '/payments'])(
    'when the page is %s, then it does without',
    (path) => expect(serviceOfPage(path)).toBeUndefined(),
  );

  it('when a page needs orders, then it says its orders cannot be shown, not tickets', () => {
    expect(unavailableMessage('orders')).toBe('Your orders can’t be shown right now; try again in a moment.');
    expect(unavailableMessage('tickets')).toBe('Tickets can’t be shown right now; try again in a moment.');
  });

  it.each([
    ['tickets', true],
    ['orders', true],
    ['payments', false],
    ['toString', false],
    ['', false],
  ])('when the proxy names %j as missing, then it is a page service: %s', (name, known) => expect(isPageService(name)).toBe(known));
});

describe('an outage of a service', () => {
  it('when it has not failed, then pages try it', () => {
    expect(knownDown('tickets')).toBe(false);
  });

  it('when it has just failed, then pages are answered without trying it, until one request every RETRY_MS tries it again', () => {
    serviceFailed('tickets', 1000);
    expect(knownDown('tickets', 1000 + RETRY_MS - 1)).toBe(true);
    // The one that tries it; the next ones wait again.
    expect(knownDown('tickets', 1000 + RETRY_MS)).toBe(false);
    expect(knownDown('tickets', 1000 + RETRY_MS + 1)).toBe(true);
    expect(knownDown('tickets', 1000 + 2 * RETRY_MS - 1)).toBe(true);
    expect(knownDown('tickets', 1000 + 2 * RETRY_MS)).toBe(false);
  });

  it('when it answers again, then the outage is over', () => {
    serviceFailed('tickets', 1000);
    serviceAnswered('tickets');
    expect(knownDown('tickets', 1001)).toBe(false);
  });

  it.each([
    ['orders', 'tickets'],
    ['tickets', 'orders'],
  ] as const)('when %s fails, then pages needing %s are not held back', (failed, other) => {
    serviceFailed(failed, 1000);
    expect(knownDown(failed, 1001)).toBe(true);
    expect(knownDown(other, 1001)).toBe(false);
  });
});

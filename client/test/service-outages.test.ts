import { afterEach, describe, expect, it } from 'vitest';
import { knownDown, RETRY_MS, serviceAnswered, serviceFailed, serviceOfPage } from '../lib/service-outages.js';

/** Which pages wait for the tickets service, and how an outage of it is kept (proxy.ts and server-api.ts tell it). */
afterEach(() => serviceAnswered('tickets'));

describe('the pages that cannot be shown without tickets', () => {
  it.each(['/', '/tickets/3f0c8a52-9a7e-4d7b-9d55-0e6f1d3c2b1a', '/tickets/3f0c8a52-9a7e-4d7b-9d55-0e6f1d3c2b1a/edit', '/tickets/mine', '/tickets/mine/'])(
    'when the page is %s, then it needs tickets',
    (path) => expect(serviceOfPage(path)).toBe('tickets'),
  );

  it.each(['/auth/signin', '/auth/signup', '/orders', '/orders/3f0c8a52-9a7e-4d7b-9d55-0e6f1d3c2b1a', '/tickets/new', '/events', '/tickets/a/b'])(
    'when the page is %s, then it does without',
    (path) => expect(serviceOfPage(path)).toBeUndefined(),
  );
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

  it('when another service fails, then pages needing tickets are not held back', () => {
    serviceFailed('orders', 1000);
    expect(knownDown('tickets', 1001)).toBe(false);
    serviceAnswered('orders');
  });
});

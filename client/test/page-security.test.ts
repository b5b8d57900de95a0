import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, isPaymentPage, referrerPolicy } from '../lib/page-security.js';

/** The policy as directive -> sources. */
const directives = (pathname: string) =>
  Object.fromEntries(
    contentSecurityPolicy({ pathname, nonce: 'n0nce' })
      .split('; ')
      .map((d) => d.split(' '))
      .map(([name, ...sources]) => [name!, sources]),
  );

const ORDER = '/orders/3f0c8a52-9a7e-4d7b-9d55-0e6f1d3c2b1a';

describe('where Stripe may load', () => {
  it('when the page is an order (the Payment Element pays there), then Stripe’s script, frames and API are allowed and the origin is sent', () => {
    expect(isPaymentPage(ORDER)).toBe(true);
    expect(isPaymentPage(`${ORDER}/`)).toBe(true);
    const csp = directives(ORDER);
    expect(csp['script-src']).toContain('https://js.stripe.com');
    expect(csp['frame-src']).toEqual(['https://js.stripe.com', 'https://*.js.stripe.com', 'https://hooks.stripe.com']);
    expect(csp['connect-src']).toContain('https://api.stripe.com');
    expect(referrerPolicy(ORDER)).toBe('strict-origin');
  });

  it.each([`${ORDER}/authenticate`, '/orders', '/', '/tickets/new', '/auth/signin'])(
    'when the page is %s (the sandbox bank’s challenge page included), then nothing but this origin is reachable and no frame may load',
    (pathname) => {
      expect(isPaymentPage(pathname)).toBe(false);
      const csp = directives(pathname);
      expect(Object.values(csp).flat().some((s) => s.includes('stripe.com'))).toBe(false);
      expect(csp['frame-src']).toEqual(["'none'"]);
      expect(csp['connect-src']).toEqual(["'self'"]);
      expect(csp['frame-ancestors']).toEqual(["'none'"]);
      expect(referrerPolicy(pathname)).toBe('same-origin');
    },
  );
});

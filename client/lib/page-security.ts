/**
 * The security headers of every page (set per request by proxy.ts).
 *
 * Scripts: a fresh nonce per request plus 'strict-dynamic'. Next's inline bootstrap scripts
 * (self.__next_f.push) and its chunks carry the nonce, which Next reads from this policy on the
 * request; scripts they load are trusted in turn. Neither 'unsafe-inline' nor a host list could
 * tell those apart from an injected script, and a hash cannot cover inline scripts whose
 * content changes with every page. The price is that every page is rendered per request,
 * which they already are (the header reads the session cookie).
 *
 * Stripe is allowed on the one page that loads it (the order page, which pays), following
 * Stripe's guidance: its script, its card frames and its API. Everywhere else nothing but this
 * origin is reachable, no page may be framed (frame-ancestors 'none', against clickjacking),
 * and no URL leaves the site in a Referer (order and ticket ids are in the paths).
 */

/** Pages that pay: `/orders/<id>` (order-view.tsx loads Stripe.js there when a key is configured). */
export const isPaymentPage = (pathname: string) => /^\/orders\/[^/]+\/?$/.test(pathname);

const stripe = {
  'script-src': ['https://js.stripe.com', 'https://*.js.stripe.com'],
  'frame-src': ['https://js.stripe.com', 'https://*.js.stripe.com', 'https://hooks.stripe.com'],
  'connect-src': ['https://api.stripe.com'],
  'img-src': ['https://*.stripe.com'],
};

export interface PagePolicyOptions {
  pathname: string;
  nonce: string;
  /** `next dev`: React's debugging needs eval, hot reload a WebSocket and unnonced styles. */
  dev?: boolean;
}

export function contentSecurityPolicy({ pathname, nonce, dev = false }: PagePolicyOptions): string {
  const pays = isPaymentPage(pathname);
  const directives: Record<string, string[]> = {
    'default-src': ["'self'"],
    'script-src': ["'self'", `'nonce-${nonce}'`, "'strict-dynamic'", ...(dev ? ["'unsafe-eval'"] : [])],
    'style-src': ["'self'", dev ? "'unsafe-inline'" : `'nonce-${nonce}'`],
    'img-src': ["'self'", 'data:', 'blob:'],
    'font-src': ["'self'"],
    'connect-src': ["'self'", ...(dev ? ['ws:', 'wss:'] : [])],
    'frame-src': ["'none'"],
    'object-src': ["'none'"],
    'base-uri': ["'none'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
  };
  if (pays) {
    for (const [name, sources] of Object.entries(stripe)) {
      directives[name] = [...directives[name]!.filter((s) => s !== "'none'"), ...sources];
    }
    // Stripe.js sets style attributes on the elements that hold its card frames; style
    // elements still need the nonce.
    directives['style-src-attr'] = ["'unsafe-inline'"];
  }
  return Object.entries(directives)
    .map(([name, sources]) => `${name} ${sources.join(' ')}`)
    .join('; ');
}

/**
 * `same-origin`: a link to another site gets no Referer at all. The payment page sends its
 * origin alone (never the path) so that Stripe's frames can tell where they are embedded.
 */
export const referrerPolicy = (pathname: string) => (isPaymentPage(pathname) ? 'strict-origin' : 'same-origin');

/** A nonce for one response: 128 random bits. */
export function newNonce(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
}

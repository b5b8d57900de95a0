/**
 * Services that have just failed to answer, and the pages that cannot be shown without one.
 *
 * Such a page answers 503 with a message in the site's layout (components/outage-notice.tsx)
 * instead of Next's error page. Next fixes a page's status before rendering it, and a page can only turn
 * it into a 404, a redirect or a 500; so the proxy decides beforehand (proxy.ts): while the
 * page's service is known to be down it answers 503 at once, letting one request through every
 * RETRY_MS to try the service again, and the first answer ends the outage. A page that finds
 * the service down while rendering (the first request since it went) sends the browser back to
 * its own address (server-api.ts), which the proxy then answers 503.
 *
 * Kept per server process (each replica learns for itself), on globalThis: the proxy and the
 * pages are separate bundles of one process.
 */

/**
 * The services a page may not be shown without, each with the pages that need it and what they
 * say in its place. A page needs at most one: the one whose data it is about.
 */
const pageServices = {
  // The list, a ticket's page, its edit page and "My tickets" (not the new-ticket form).
  tickets: {
    pages: /^\/(tickets\/(?!new\/?$)[^/]+(\/edit)?\/?)?$/,
    message: 'Tickets can’t be shown right now; try again in a moment.',
  },
  // "My orders", an order's page and its sandbox bank challenge (which shows the order's ticket).
  orders: {
    pages: /^\/orders(\/[^/]+(\/authenticate)?)?\/?$/,
    message: 'Your orders can’t be shown right now; try again in a moment.',
  },
} as const;

export type PageService = keyof typeof pageServices;

/** While a service is down, how often a request is let through to try it. */
export const RETRY_MS = 2000;

/** Request headers set by proxy.ts: the page's address, and (on its 503) which service is missing. */
export const PAGE_HEADER = 'x-ticketing-page';
export const UNAVAILABLE_HEADER = 'x-ticketing-unavailable';

/** What a page says in place of what it cannot show. */
export function unavailableMessage(service: PageService): string {
  return pageServices[service].message;
}

/** Whether a name (the proxy's header, say) is one of those services. */
export function isPageService(service: string): service is PageService {
  return Object.hasOwn(pageServices, service);
}

const holder = globalThis as typeof globalThis & { ticketingOutages?: Map<string, number> };
/** Each service known to be down, and when a request last tried it. */
const outages = (holder.ticketingOutages ??= new Map<string, number>());

/** The service a page cannot be shown without, if any. */
export function serviceOfPage(pathname: string): PageService | undefined {
  return (Object.keys(pageServices) as PageService[]).find((service) => pageServices[service].pages.test(pathname));
}

export function serviceFailed(service: string, now = Date.now()): void {
  outages.set(service, now);
}

export function serviceAnswered(service: string): void {
  outages.delete(service);
}

/**
 * Whether a page needing `service` is answered 503 without trying it: it is down and was
 * tried less than RETRY_MS ago. Otherwise the request tries it, and the next ones wait again.
 */
export function knownDown(service: string, now = Date.now()): boolean {
  const tried = outages.get(service);
  if (tried === undefined) return false;
  if (now - tried < RETRY_MS) return true;
  outages.set(service, now);
  return false;
}

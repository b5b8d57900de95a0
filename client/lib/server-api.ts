import 'server-only';
import { cookies, headers as requestHeaders } from 'next/headers';
import { redirect } from 'next/navigation';
import { cache } from 'react';
import type { Order, Ticket, User } from '@ticketing/contracts';
import { errorsOf, type ApiResult } from './api-result';
import { safeNext } from './format';
import { PAGE_HEADER, serviceAnswered, serviceFailed, serviceOfPage } from './service-outages';

/**
 * Server-side data access: every call made while rendering a page goes through here.
 *
 * It forwards the browser's `session` cookie to the service that owns the data, at the
 * base URL read from the environment *at request time* (never inlined at build time), so
 * one build runs on a laptop, in Docker and in Kubernetes alike.
 *
 * A service that does not answer (or answers 502, 503 or 504) is unavailable: noted as down
 * (lib/service-outages.ts), and a page that cannot be shown without it is sent back to its own
 * address, which the proxy then answers 503 with a message. Elsewhere it throws, as does any
 * other 5xx (a failure of the service's own, not an outage).
 */

/** Longer than any page's read takes; a service that has not answered by then is not answering. */
const REQUEST_TIMEOUT_MS = 10_000;
/** Statuses by which a service, or a proxy in front of it, says it cannot serve now. */
const UNAVAILABLE = new Set([502, 503, 504]);

const serviceUrlEnv = {
  auth: 'AUTH_URL',
  tickets: 'TICKETS_URL',
  orders: 'ORDERS_URL',
  payments: 'PAYMENTS_URL',
} as const;

type Service = keyof typeof serviceUrlEnv;

function baseUrl(service: Service): string {
  const name = serviceUrlEnv[service];
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: the client needs the ${service} service's base URL, like http://127.0.0.1:4001`);
  }
  return value.replace(/\/+$/, '');
}

/** One HTTP call to a service, as the signed-in user (if any). Throws (or redirects) only when the service fails. */
async function request<T>(service: Service, path: string, init: RequestInit = {}): Promise<ApiResult<T>> {
  const headers = new Headers(init.headers);
  headers.set('accept', 'application/json');
  const session = (await cookies()).get('session')?.value;
  if (session) headers.set('cookie', `session=${session}`);

  const url = `${baseUrl(service)}${path}`;
  let res: Response;
  try {
    res = await fetch(url, { ...init, headers, cache: 'no-store', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (err) {
    return unavailable(service, `did not answer (${url})`, err);
  }
  if (UNAVAILABLE.has(res.status)) {
    await res.body?.cancel();
    return unavailable(service, `is unavailable: ${res.status} ${path}`);
  }
  serviceAnswered(service);
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: treated as an error below when the status says so.
  }
  if (res.ok) return { ok: true, status: res.status, data: body as T, errors: [], headers: res.headers };
  if (res.status >= 500) throw new Error(`The ${service} service failed: ${res.status} ${path}`);
  return { ok: false, status: res.status, data: null, errors: errorsOf(body, res.status), headers: res.headers };
}

/** Notes the outage; sends a page that needs the service back to its address (which then answers 503), or throws. */
async function unavailable(service: Service, what: string, cause?: unknown): Promise<never> {
  serviceFailed(service);
  // The page's address as the proxy saw it; a request the proxy did not see (a prefetch) has none.
  const page = (await requestHeaders()).get(PAGE_HEADER);
  if (page && safeNext(page) === page && serviceOfPage(page.split('?')[0]!) === service) redirect(page);
  throw new Error(`The ${service} service ${what}`, { cause });
}

/** The signed-in user, or null. Cached for the duration of one request (header and page share it). */
export const getCurrentUser = cache(async (): Promise<User | null> => {
  const res = await request<{ currentUser: User | null }>('auth', '/api/users/currentuser');
  return res.ok ? (res.data?.currentUser ?? null) : null;
});

export type TicketPage = { tickets: Ticket[]; next: { cursor: string; limit?: string } | null };

/** Reads the `rel="next"` target of a Link header. */
export function nextLink(link: string | null): TicketPage['next'] {
  if (!link) return null;
  for (const part of link.split(',')) {
    const m = /<([^>]*)>\s*;(.*)$/.exec(part.trim());
    if (!m || !/\brel\s*=\s*"?next"?/i.test(m[2] ?? '')) continue;
    const target = new URL(m[1] ?? '', 'http://link.invalid');
    const cursor = target.searchParams.get('cursor');
    const limit = target.searchParams.get('limit') ?? undefined;
    if (cursor) return { cursor, limit };
  }
  return null;
}

/** GET /api/tickets: one page of tickets for sale, newest first, and where the next page starts. */
export async function listTickets(query: { limit?: string; cursor?: string } = {}): Promise<ApiResult<TicketPage>> {
  const params = new URLSearchParams();
  if (query.limit) params.set('limit', query.limit);
  if (query.cursor) params.set('cursor', query.cursor);
  const qs = params.size > 0 ? `?${params}` : '';
  const res = await request<Ticket[]>('tickets', `/api/tickets${qs}`);
  if (!res.ok) return res;
  return { ...res, data: { tickets: res.data ?? [], next: nextLink(res.headers.get('link')) } };
}

/** GET /api/tickets/:id, or null when there is no such ticket. Once per request (a page and its metadata share it). */
export const getTicket = cache(async (id: string): Promise<Ticket | null> => {
  const res = await request<Ticket>('tickets', `/api/tickets/${encodeURIComponent(id)}`);
  return res.ok ? res.data : null;
});

/** GET /api/orders: the signed-in user's orders, newest first (null when signed out). */
export async function listOrders(): Promise<Order[] | null> {
  const res = await request<Order[]>('orders', '/api/orders');
  return res.ok ? (res.data ?? []) : null;
}

/** GET /api/orders/:id, or null when it is unknown or not the signed-in user's. */
export async function getOrder(id: string): Promise<Order | null> {
  const res = await request<Order>('orders', `/api/orders/${encodeURIComponent(id)}`);
  return res.ok ? res.data : null;
}

/**
 * The signed-in user's listings that are for sale. There is no "my tickets" endpoint in the
 * API contract, so this walks the public list (at most `maxPages` pages of 200) and keeps the
 * user's own; reserved tickets are not in that list until their order is cancelled or expires,
 * sold ones never again.
 */
export async function listMyAvailableTickets(userId: string, maxPages = 5): Promise<{ tickets: Ticket[]; truncated: boolean }> {
  const mine: Ticket[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const res = await listTickets({ limit: '200', cursor });
    if (!res.ok) break;
    mine.push(...res.data.tickets.filter((t) => t.userId === userId));
    if (!res.data.next) return { tickets: mine, truncated: false };
    cursor = res.data.next.cursor;
  }
  return { tickets: mine, truncated: cursor !== undefined };
}

/** The Stripe publishable key when real card payments are on; undefined means the sandbox. */
export function stripePublishableKey(): string | undefined {
  return process.env['STRIPE_PUBLISHABLE_KEY'] || undefined;
}

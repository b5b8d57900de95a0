import type { OrderStatus, TicketStatus } from '@ticketing/contracts';

const dollars = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

/** 12.5 -> "$12.50" */
export const formatPrice = (price: number) => dollars.format(price);

const statusLabels: Record<OrderStatus, string> = {
  created: 'Awaiting payment',
  'awaiting:payment': 'Awaiting payment',
  cancelled: 'Cancelled',
  complete: 'Paid',
};

export const orderStatusLabel = (status: OrderStatus) => statusLabels[status] ?? status;

const ticketStatusLabels: Record<TicketStatus, string> = {
  available: 'Available',
  reserved: 'Reserved',
  sold: 'Sold',
};

export const ticketStatusLabel = (status: TicketStatus) => ticketStatusLabels[status] ?? status;

/** Whole seconds as "m:ss" (or "h:mm:ss"). */
export function formatCountdown(totalSeconds: number) {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

const SITE = 'http://site.invalid';

/**
 * A path on this site to go back to after signing in, or "/". It is checked as a browser will
 * read it: browsers drop tabs and newlines from URLs and read `\` as `/`, so `/\t/evil.com`
 * and `/\evil.com` would leave the site. The answer is the parsed path, never one that starts
 * with `//` (which `/.//evil.com` normalises to).
 */
export function safeNext(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || /[\\\s\p{Cc}]/u.test(value)) return '/';
  let url: URL;
  try {
    url = new URL(value, SITE);
  } catch {
    return '/';
  }
  if (url.origin !== SITE || url.pathname.startsWith('//')) return '/';
  return `${url.pathname}${url.search}${url.hash}`;
}

import type { OrderStatus } from '@ticketing/contracts';

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

/** Whole seconds as "m:ss" (or "h:mm:ss"). */
export function formatCountdown(totalSeconds: number) {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** A same-site path to go back to after signing in, or "/". */
export function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/(?![/\\])/.test(value) ? value : '/';
}

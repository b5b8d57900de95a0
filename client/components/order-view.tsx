'use client';

import dynamic from 'next/dynamic';
import Link from 'next/link';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Order } from '@ticketing/contracts';
import { api, sleep } from '@/lib/browser-api';
import { formatCountdown, formatPrice, orderStatusLabel } from '@/lib/format';
import { idle, inFlight, stripeReturn, type PaymentState, type StripeReturn } from '@/lib/payment-intent';
import { SandboxPaymentForm } from './sandbox-payment-form';
import { useOrderUpdates } from './use-order-updates';

// Stripe's code is only fetched when a publishable key is configured, and only in the browser.
const StripePaymentForm = dynamic(() => import('./stripe-payment-form'), {
  ssr: false,
  loading: () => <p className="muted">Loading the card form…</p>,
});

const isLive = (order: Order) => order.status === 'created' || order.status === 'awaiting:payment';

/** How long a succeeded payment may wait for the order to turn complete before the page says so. */
const CONFIRMING_NOTICE_MS = 20_000;

/**
 * One order: its countdown, the payment form while it can be paid, and its final state.
 * While the order can change, the page follows it as the server pushes it
 * (use-order-updates.ts) until it is complete or cancelled: payment.created reaches orders
 * asynchronously, and a buyer who left a bank's challenge unanswered sees it expire here.
 * Without the push, it polls GET /api/orders/:id while a payment may change the order.
 */
export function OrderView({
  initialOrder,
  serverNow,
  stripeKey,
}: {
  initialOrder: Order;
  /** The server's clock when the page was rendered, so the first render matches on both sides. */
  serverNow: number;
  stripeKey?: string | undefined;
}) {
  const [order, setOrder] = useState(initialOrder);
  const [now, setNow] = useState(serverNow);
  const [payment, setPayment] = useState<PaymentState>(idle);
  const [cancelling, setCancelling] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [stripeBack, setStripeBack] = useState<StripeReturn | null>(null);
  const mounted = useRef(true);

  const expiresAt = Date.parse(order.expiresAt);
  const secondsLeft = Math.max(0, Math.ceil((expiresAt - now) / 1000));
  const live = isLive(order);
  const timeUp = secondsLeft === 0;
  const paying = inFlight(payment);
  const following = live && (paying || order.status === 'awaiting:payment');
  const confirming = payment.kind === 'succeeded';

  // A view older than the one shown (a reconnect racing a re-read) is not news.
  const showNewer = useCallback((next: Order) => setOrder((shown) => (next.version >= shown.version ? next : shown)), []);
  const pushed = useOrderUpdates(initialOrder.id, live, showNewer);

  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  // Back from Stripe's redirect: the client secret leaves the address bar (and history) at once,
  // whatever the order's state; the Stripe form reads how the payment ended.
  useEffect(() => {
    const back = stripeReturn(window.location.search);
    if (!back) return;
    window.history.replaceState(window.history.state, '', `${window.location.pathname}${back.rest}`);
    setStripeBack(back);
  }, []);

  // The countdown ticks every second while the order can still change.
  useEffect(() => {
    setNow(Date.now());
    if (!live) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [live]);

  /** Re-reads the order until `done` holds or the attempts run out. */
  const pollOrder = useCallback(
    async (done: (o: Order) => boolean, attempts: number, intervalMs: number) => {
      for (let i = 0; i < attempts && mounted.current; i++) {
        const res = await api<Order>('GET', `/api/orders/${initialOrder.id}`);
        if (res.ok && mounted.current) {
          setOrder(res.data);
          if (done(res.data)) return true;
        }
        await sleep(intervalMs);
      }
      return false;
    },
    [initialOrder.id],
  );

  // Without the push, polls the order while a payment may change it: often while one is in flight.
  useEffect(() => {
    if (!following || pushed) return;
    let active = true;
    void (async () => {
      while (active) {
        await sleep(paying ? 1000 : 3000);
        if (!active) return;
        const res = await api<Order>('GET', `/api/orders/${initialOrder.id}`);
        if (active && res.ok) setOrder(res.data);
      }
    })();
    return () => {
      active = false;
    };
  }, [following, pushed, paying, initialOrder.id]);

  // Paid, but the order has not turned complete yet: say so if it takes long.
  useEffect(() => {
    if (!confirming) return;
    const timer = setTimeout(
      () => setNotice('Your payment was received; the order will show as paid in a moment. Reload the page to check.'),
      CONFIRMING_NOTICE_MS,
    );
    return () => clearTimeout(timer);
  }, [confirming]);

  // Time is up: the expiration service cancels the order within a moment; show that when it
  // lands (pushed, or else polled for).
  useEffect(() => {
    if (!live || !timeUp || pushed) return;
    void pollOrder((o) => !isLive(o), 15, 1000);
  }, [live, timeUp, pushed, pollOrder]);

  const onRefused = useCallback(() => {
    void pollOrder(() => true, 1, 0);
  }, [pollOrder]);

  async function cancel() {
    setCancelling(true);
    setNotice(null);
    const res = await api('DELETE', `/api/orders/${order.id}`);
    if (!res.ok) setNotice(res.errors.map((e) => e.message).join(' '));
    await pollOrder(() => true, 1, 0);
    if (mounted.current) setCancelling(false);
  }

  return (
    <article className="card order" aria-labelledby="order-heading">
      <header className="order-header">
        <p className="eyebrow">Order</p>
        <h1 id="order-heading">{order.ticket.title}</h1>
        <dl className="facts">
          <div>
            <dt>Price</dt>
            <dd className="price">{formatPrice(order.ticket.price)}</dd>
          </div>
          <div>
            <dt>Status</dt>
            <dd>
              <span className={`badge badge-${order.status.replace(':', '-')}`}>{orderStatusLabel(order.status)}</span>
            </dd>
          </div>
        </dl>
      </header>

      {notice && (
        <p className="notice notice-info" role="status">
          {notice}
        </p>
      )}

      {order.status === 'complete' && (
        <div className="notice notice-success outcome" role="status">
          <p className="outcome-title">Paid — your ticket is confirmed</p>
          <p>
            Enjoy the event! <Link href="/orders">See all your orders</Link>
          </p>
        </div>
      )}

      {order.status === 'cancelled' && (
        <div className="notice notice-neutral outcome" role="status">
          <p className="outcome-title">{now >= expiresAt ? 'This order expired' : 'This order was cancelled'}</p>
          <p>
            The ticket was released. <Link href={`/tickets/${order.ticket.id}`}>See the ticket</Link> or{' '}
            <Link href="/">browse tickets</Link>.
          </p>
        </div>
      )}

      {live && (
        <>
          <div className={`countdown${timeUp ? ' countdown-over' : secondsLeft <= 60 ? ' countdown-soon' : ''}`}>
            <span className="countdown-label" id="countdown-label">
              Time left to pay
            </span>
            <span className="countdown-value" role="timer" aria-labelledby="countdown-label" aria-live="off">
              {timeUp ? 'Expired' : formatCountdown(secondsLeft)}
            </span>
          </div>

          {timeUp ? (
            <div className="notice notice-neutral outcome" role="status">
              <p className="outcome-title">This order expired</p>
              <p>
                The reservation ran out before payment. <Link href="/">Browse tickets</Link>
              </p>
            </div>
          ) : confirming ? (
            <p className="notice notice-info" role="status" aria-busy="true">
              Payment received. Confirming your order…
            </p>
          ) : (
            <>
              {stripeKey ? (
                <StripePaymentForm
                  publishableKey={stripeKey}
                  orderId={order.id}
                  price={order.ticket.price}
                  returned={stripeBack}
                  onChange={setPayment}
                  onRefused={onRefused}
                />
              ) : (
                <SandboxPaymentForm
                  orderId={order.id}
                  price={order.ticket.price}
                  awaitingPayment={initialOrder.status === 'awaiting:payment'}
                  onChange={setPayment}
                  onRefused={onRefused}
                />
              )}
              <div className="order-secondary">
                <button type="button" className="button button-danger-ghost" onClick={cancel} disabled={cancelling} aria-busy={cancelling || undefined}>
                  Cancel order
                </button>
              </div>
            </>
          )}
        </>
      )}
    </article>
  );
}

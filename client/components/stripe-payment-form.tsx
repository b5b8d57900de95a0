'use client';

import { Elements, PaymentElement, useElements, useStripe } from '@stripe/react-stripe-js';
// The "pure" entry point loads Stripe.js from js.stripe.com only when loadStripe() is called,
// in the browser, never when this module is imported (or built).
import type { Stripe } from '@stripe/stripe-js';
import { loadStripe } from '@stripe/stripe-js/pure';
import { useEffect, useState, type FormEvent } from 'react';
import type { PaymentIntentStatus } from '@ticketing/contracts';
import { formatPrice } from '@/lib/format';
import type { PaymentState, StripeReturn } from '@/lib/payment-intent';
import { FormErrors, SubmitButton } from './form-parts';
import { PaymentStateNotice, paymentErrorId } from './payment-state';
import { usePaymentIntent, type PaymentIntentHandle } from './use-payment-intent';

const stripes = new Map<string, Promise<Stripe | null>>();
const stripeFor = (key: string) => {
  let stripe = stripes.get(key);
  // null when Stripe.js can't be fetched (offline, blocked): the form says so instead of hanging.
  if (!stripe) stripes.set(key, (stripe = loadStripe(key).catch(() => null)));
  return stripe;
};

type Props = {
  publishableKey: string;
  orderId: string;
  price: number;
  /** What Stripe's redirect brought back to the order page, if it did. */
  returned: StripeReturn | null;
  onChange: (state: PaymentState) => void;
  onRefused: () => void;
};

/**
 * Pays through Stripe's Payment Element. The element needs the intent's client secret before
 * it shows, so the order's intent is started (or resumed) as soon as the form mounts. 3-D Secure
 * runs in Stripe.js's own dialog; a method that needs a redirect comes back to this page with
 * the intent on the query string.
 */
export default function StripePaymentForm({ publishableKey, orderId, price, returned, onChange, onRefused }: Props) {
  const stripe = stripeFor(publishableKey);
  const [unavailable, setUnavailable] = useState(false);
  const payment = usePaymentIntent(orderId, { onChange, onRefused, resumeOnMount: true });
  const { settle } = payment;

  useEffect(() => {
    let live = true;
    void stripe.then((s) => live && !s && setUnavailable(true));
    return () => {
      live = false;
    };
  }, [stripe]);

  // Back from a redirect: Stripe knows how it ended before its webhook may have reached payments.
  useEffect(() => {
    if (!returned) return;
    let live = true;
    void (async () => {
      const { paymentIntent } = (await (await stripe)?.retrievePaymentIntent(returned.clientSecret)) ?? {};
      if (!live || !paymentIntent) return;
      const failed = returned.redirectStatus === 'failed' ? 'Your payment was not completed.' : null;
      settle(paymentIntent.status as PaymentIntentStatus, paymentIntent.last_payment_error?.message ?? failed);
    })();
    return () => {
      live = false;
    };
  }, [stripe, returned, settle]);

  if (unavailable) {
    return (
      <p className="notice notice-error" role="alert">
        Card payments are unavailable right now: Stripe could not be loaded. Please try again later.
      </p>
    );
  }
  const { intent } = payment;
  if (!intent) {
    return payment.errors.length > 0 ? (
      <div className="form payment-form">
        <FormErrors messages={payment.errors} />
        <button type="button" className="button button-secondary" onClick={() => void payment.resume()}>
          Try again
        </button>
      </div>
    ) : (
      <p className="muted" role="status" aria-busy="true">
        Preparing the payment form…
      </p>
    );
  }
  return (
    // The client secret is fixed for an Elements instance: a new intent gets a new one.
    <Elements key={intent.clientSecret} stripe={stripe} options={{ clientSecret: intent.clientSecret }}>
      <IntentForm orderId={orderId} price={price} payment={payment} />
    </Elements>
  );
}

function IntentForm({ orderId, price, payment }: { orderId: string; price: number; payment: PaymentIntentHandle }) {
  const stripe = useStripe();
  const elements = useElements();
  const [ready, setReady] = useState(false);
  const { state, pending } = payment;
  const failed = state.kind === 'failed';

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!stripe || !elements) return;
    payment.begin();
    const { error, paymentIntent } = await stripe.confirmPayment({
      elements,
      redirect: 'if_required',
      // Only for payment methods that leave the page; cards stay here (3-D Secure in a dialog).
      confirmParams: { return_url: `${window.location.origin}/orders/${orderId}` },
    });
    if (error) {
      payment.fail(error.message ?? 'Your payment could not be completed.');
      return;
    }
    payment.settle(paymentIntent.status as PaymentIntentStatus, paymentIntent.last_payment_error?.message ?? null);
  }

  return (
    <form className="form payment-form" onSubmit={onSubmit} noValidate aria-labelledby="payment-heading">
      <h2 id="payment-heading">Payment</h2>
      <FormErrors messages={payment.errors} />
      <div className="field">
        <span className="label" id="card-label">
          Payment details
        </span>
        <div className="stripe-card" role="group" aria-labelledby="card-label" aria-describedby={failed ? paymentErrorId : undefined}>
          <PaymentElement onReady={() => setReady(true)} options={{ layout: 'tabs' }} />
        </div>
      </div>
      <PaymentStateNotice state={state} />
      <SubmitButton pending={pending || !stripe || !elements || !ready} className="button button-primary button-lg">
        Pay {formatPrice(price)}
      </SubmitButton>
    </form>
  );
}

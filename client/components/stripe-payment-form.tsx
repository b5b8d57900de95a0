'use client';

import { CardElement, Elements, useElements, useStripe } from '@stripe/react-stripe-js';
// The "pure" entry point loads Stripe.js from js.stripe.com only when loadStripe() is called,
// in the browser, never when this module is imported (or built).
import type { Stripe } from '@stripe/stripe-js';
import { loadStripe } from '@stripe/stripe-js/pure';
import { useEffect, useState, type FormEvent } from 'react';
import { formatPrice } from '@/lib/format';
import { FieldError, FormErrors, SubmitButton } from './form-parts';
import { usePayment } from './use-payment';

const stripes = new Map<string, Promise<Stripe | null>>();
const stripeFor = (key: string) => {
  let stripe = stripes.get(key);
  // null when Stripe.js can't be fetched (offline, blocked): the form says so instead of hanging.
  if (!stripe) stripes.set(key, (stripe = loadStripe(key).catch(() => null)));
  return stripe;
};

type Props = { publishableKey: string; orderId: string; price: number; onPaid: () => void; onRefused: () => void };

/** Pays with a real card through Stripe Elements: the card becomes a token, sent like a test token. */
export default function StripePaymentForm(props: Props) {
  const stripe = stripeFor(props.publishableKey);
  const [unavailable, setUnavailable] = useState(false);
  useEffect(() => {
    let live = true;
    void stripe.then((s) => live && !s && setUnavailable(true));
    return () => {
      live = false;
    };
  }, [stripe]);
  if (unavailable) {
    return (
      <p className="notice notice-error" role="alert">
        Card payments are unavailable right now: Stripe could not be loaded. Please try again later.
      </p>
    );
  }
  return (
    <Elements stripe={stripe}>
      <CardForm {...props} />
    </Elements>
  );
}

function CardForm({ orderId, price, onPaid, onRefused }: Props) {
  const stripe = useStripe();
  const elements = useElements();
  const { pay, pending, errors, fail, setPending } = usePayment(orderId, { onPaid, onRefused });
  const [tokenizing, setTokenizing] = useState(false);
  const errorId = errors.fields.token ? 'card-error' : undefined;

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const card = elements?.getElement(CardElement);
    if (!stripe || !card) return;
    setTokenizing(true);
    setPending(true);
    const { token, error } = await stripe.createToken(card);
    setTokenizing(false);
    if (error || !token) {
      setPending(false);
      fail(error?.message ?? 'Your card could not be read');
      return;
    }
    await pay(token.id);
  }

  return (
    <form className="form payment-form" onSubmit={onSubmit} noValidate aria-labelledby="payment-heading">
      <h2 id="payment-heading">Payment</h2>
      <FormErrors messages={errors.general} />
      <div className="field">
        <span className="label" id="card-label">
          Card
        </span>
        <div className="stripe-card" role="group" aria-labelledby="card-label" aria-describedby={errorId}>
          <CardElement options={{ hidePostalCode: true, style: { base: { fontSize: '16px' } } }} />
        </div>
        <FieldError id={errorId} message={errors.fields.token} />
      </div>
      <SubmitButton pending={pending || tokenizing || !stripe} className="button button-primary button-lg">
        Pay {formatPrice(price)}
      </SubmitButton>
    </form>
  );
}

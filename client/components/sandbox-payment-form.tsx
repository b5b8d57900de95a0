'use client';

import { useState, type FormEvent } from 'react';
import { formatPrice } from '@/lib/format';
import { FieldError, FormErrors, SubmitButton } from './form-parts';
import { usePayment } from './use-payment';

/** Stripe's test tokens, which the sandbox payment provider understands (docs/design.md §3). */
export const TEST_CARDS = [
  { token: 'tok_visa', label: 'Visa (succeeds)' },
  { token: 'tok_mastercard', label: 'Mastercard (succeeds)' },
  { token: 'tok_chargeDeclined', label: 'Declined card' },
] as const;

/** Pays with a test card token: the form shown when no Stripe key is configured. */
export function SandboxPaymentForm({
  orderId,
  price,
  onPaid,
  onRefused,
}: {
  orderId: string;
  price: number;
  onPaid: () => void;
  onRefused: () => void;
}) {
  const [token, setToken] = useState<string>(TEST_CARDS[0].token);
  const { pay, pending, errors } = usePayment(orderId, { onPaid, onRefused });
  const errorId = errors.fields.token ? 'card-error' : undefined;

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    void pay(token);
  }

  return (
    <form className="form payment-form" onSubmit={onSubmit} noValidate aria-labelledby="payment-heading">
      <h2 id="payment-heading">Payment</h2>
      <FormErrors messages={errors.general} />
      <fieldset className="card-choices" aria-describedby={[errorId, 'card-hint'].filter(Boolean).join(' ')} aria-invalid={errorId ? true : undefined}>
        <legend>Test card</legend>
        <p id="card-hint" className="field-hint">
          Test mode: no real card is charged. Pick one of Stripe&rsquo;s test cards.
        </p>
        {TEST_CARDS.map((card) => (
          <label key={card.token} className="choice" htmlFor={`card-${card.token}`}>
            <input
              type="radio"
              id={`card-${card.token}`}
              name="token"
              value={card.token}
              checked={token === card.token}
              onChange={() => setToken(card.token)}
              disabled={pending}
            />
            <span className="choice-label">{card.label}</span> <code>{card.token}</code>
          </label>
        ))}
      </fieldset>
      <FieldError id={errorId} message={errors.fields.token} />
      <SubmitButton pending={pending} className="button button-primary button-lg">
        Pay {formatPrice(price)}
      </SubmitButton>
    </form>
  );
}

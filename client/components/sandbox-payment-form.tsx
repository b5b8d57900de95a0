'use client';

import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { SANDBOX_PAYMENT_METHODS, type PaymentIntent, type SandboxPaymentMethod } from '@ticketing/contracts';
import { formatPrice } from '@/lib/format';
import { confirmSandbox, saveChallenge, type PaymentState } from '@/lib/payment-intent';
import { FormErrors, SubmitButton } from './form-parts';
import { PaymentStateNotice, paymentErrorId } from './payment-state';
import { usePaymentIntent } from './use-payment-intent';

/** The sandbox's test payment methods (Stripe's names, docs/design.md §3), as the buyer reads them. */
export const SANDBOX_CARD_LABELS: Record<SandboxPaymentMethod, string> = {
  pm_card_visa: 'Visa (succeeds)',
  pm_card_mastercard: 'Mastercard (succeeds)',
  pm_card_chargeDeclined: 'Declined card',
  pm_card_authenticationRequired: 'Requires authentication (3-D Secure)',
};

/** The challenge page of the sandbox's bank, for this order. */
export const challengePath = (orderId: string) => `/orders/${orderId}/authenticate`;

/**
 * Pays with one of the sandbox's test payment methods: the form shown when no Stripe key is
 * configured. Pay starts (or resumes) the order's intent and confirms it; a method that needs
 * 3-D Secure sends the buyer to the sandbox bank's challenge page.
 */
export function SandboxPaymentForm({
  orderId,
  price,
  awaitingPayment,
  onChange,
  onRefused,
}: {
  orderId: string;
  price: number;
  /** The order already has an intent: show where it stands from the start. */
  awaitingPayment: boolean;
  onChange: (state: PaymentState) => void;
  onRefused: () => void;
}) {
  const router = useRouter();
  const [method, setMethod] = useState<SandboxPaymentMethod>('pm_card_visa');
  const payment = usePaymentIntent(orderId, { onChange, onRefused, resumeOnMount: awaitingPayment });
  const { state, pending } = payment;
  const failed = state.kind === 'failed';
  // A payment waiting for the bank is answered there first (failing it frees the form).
  const waitingForBank = state.kind === 'requires_action';

  function toChallenge(intent: PaymentIntent) {
    saveChallenge(window.sessionStorage, orderId, { clientSecret: intent.clientSecret, amount: intent.amount });
    router.push(challengePath(orderId));
  }

  async function pay() {
    payment.begin();
    const intent = await payment.ensure();
    if (!intent) return;
    if (intent.status === 'succeeded') {
      payment.settle(intent.status, null);
      return;
    }
    const outcome = await confirmSandbox(intent.clientSecret, method);
    if (outcome.kind !== 'result') {
      payment.refuse(outcome);
      return;
    }
    const { status, lastError } = outcome.result;
    if (status === 'requires_action') {
      // The form stays busy while the bank's page loads.
      payment.settle(status, lastError);
      payment.setPending(true);
      toChallenge(intent);
      return;
    }
    payment.settle(status, lastError);
  }

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    void pay();
  }

  const describedBy = [failed ? paymentErrorId : undefined, 'card-hint'].filter(Boolean).join(' ');
  return (
    <form className="form payment-form" onSubmit={onSubmit} noValidate aria-labelledby="payment-heading">
      <h2 id="payment-heading">Payment</h2>
      <FormErrors messages={payment.errors} />
      <fieldset className="card-choices" aria-describedby={describedBy} aria-invalid={failed || undefined}>
        <legend>Test payment method</legend>
        <p id="card-hint" className="field-hint">
          Test mode: no real card is charged. Pick one of Stripe&rsquo;s test payment methods.
        </p>
        {SANDBOX_PAYMENT_METHODS.map((m) => (
          <label key={m} className="choice" htmlFor={`card-${m}`}>
            <input type="radio" id={`card-${m}`} name="paymentMethod" value={m} checked={method === m} onChange={() => setMethod(m)} disabled={pending || waitingForBank} />
            <span className="choice-label">{SANDBOX_CARD_LABELS[m]}</span> <code>{m}</code>
          </label>
        ))}
      </fieldset>
      <PaymentStateNotice
        state={state}
        action={
          payment.intent &&
          !pending && (
            <button type="button" className="button button-secondary" onClick={() => payment.intent && toChallenge(payment.intent)}>
              Continue to your bank
            </button>
          )
        }
      />
      <SubmitButton pending={pending} disabled={waitingForBank} className="button button-primary button-lg">
        Pay {formatPrice(price)}
      </SubmitButton>
    </form>
  );
}

import type { ReactNode } from 'react';
import type { PaymentState } from '@/lib/payment-intent';

/** The id of the element that says why the last attempt failed, for the form's aria-describedby. */
export const paymentErrorId = 'payment-error';

/**
 * Where a payment stands, as both payment forms say it: in progress, waiting for the bank, or
 * failed (an alert the payment choices are described by). Succeeded is the order page's to say.
 */
export function PaymentStateNotice({ state, action }: { state: PaymentState; action?: ReactNode }) {
  switch (state.kind) {
    case 'processing':
      return (
        <p className="notice notice-info" role="status" aria-busy="true">
          Processing your payment…
        </p>
      );
    case 'requires_action':
      return (
        <div className="notice notice-warning payment-action" role="status">
          <p>Your bank needs you to confirm this payment.</p>
          {action}
        </div>
      );
    case 'failed':
      return (
        <p id={paymentErrorId} className="field-error" role="alert">
          {state.message}
        </p>
      );
    default:
      return null;
  }
}

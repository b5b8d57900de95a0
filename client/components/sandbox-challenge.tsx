'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';
import { formatPrice } from '@/lib/format';
import { authenticateSandbox, forgetChallenge, loadChallenge, signInPath, type PendingChallenge } from '@/lib/payment-intent';
import { FormErrors } from './form-parts';

/**
 * The sandbox bank's challenge for one order's payment: the buyer completes or fails it, and
 * goes back to the order page, which shows how the payment ended. The client secret comes
 * from sessionStorage, where the payment form left it.
 */
export function SandboxChallenge({ orderId, title }: { orderId: string; title: string }) {
  const router = useRouter();
  // Unknown until the browser's storage is read (the server has none).
  const [challenge, setChallenge] = useState<PendingChallenge | null | undefined>(undefined);
  const [pending, setPending] = useState<'complete' | 'fail' | null>(null);
  const [errors, setErrors] = useState<string[]>([]);

  useEffect(() => setChallenge(loadChallenge(window.sessionStorage, orderId)), [orderId]);

  async function answer(outcome: 'complete' | 'fail') {
    if (!challenge) return;
    setPending(outcome);
    setErrors([]);
    const res = await authenticateSandbox(challenge.clientSecret, outcome);
    if (res.kind === 'signin') {
      window.location.assign(signInPath(window.location.pathname));
      return;
    }
    if (res.kind === 'result' || res.kind === 'refused') {
      // Answered, or nothing left to answer (paid, cancelled): the order page tells which.
      forgetChallenge(window.sessionStorage, orderId);
    }
    if (res.kind === 'result') {
      router.replace(`/orders/${orderId}`);
      return;
    }
    setErrors(res.errors.map((e) => e.message));
    setPending(null);
  }

  if (challenge === undefined) {
    return (
      <p className="muted" role="status" aria-busy="true">
        Contacting your bank…
      </p>
    );
  }
  if (challenge === null) {
    return (
      <section className="card bank" aria-labelledby="bank-heading">
        <h1 id="bank-heading">No payment to confirm</h1>
        <p>
          No payment of this order is waiting for your bank. <Link href={`/orders/${orderId}`}>Go to the order</Link>
        </p>
      </section>
    );
  }
  return (
    <section className="card bank" aria-labelledby="bank-heading" aria-describedby="bank-details">
      <p className="eyebrow">Sandbox bank · 3-D Secure</p>
      <h1 id="bank-heading">Sandbox bank — confirm your payment of {formatPrice(challenge.amount)}</h1>
      <dl id="bank-details" className="facts">
        <div>
          <dt>Merchant</dt>
          <dd>Ticketing</dd>
        </div>
        <div>
          <dt>For</dt>
          <dd>{title}</dd>
        </div>
        <div>
          <dt>Amount</dt>
          <dd className="price">{formatPrice(challenge.amount)}</dd>
        </div>
      </dl>
      <p className="field-hint">Test mode: this page stands in for your bank. Choose how the authentication ends.</p>
      <FormErrors messages={errors} />
      <div className="form-actions bank-actions">
        <button type="button" className="button button-primary button-lg" onClick={() => void answer('complete')} disabled={pending !== null} aria-busy={pending === 'complete' || undefined}>
          Complete authentication
        </button>
        <button type="button" className="button button-danger-ghost" onClick={() => void answer('fail')} disabled={pending !== null} aria-busy={pending === 'fail' || undefined}>
          Fail authentication
        </button>
      </div>
    </section>
  );
}

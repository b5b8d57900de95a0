'use client';

import { useState } from 'react';
import { api, noErrors, sleep, splitErrors, type SplitErrors } from '@/lib/browser-api';

/**
 * POST /api/payments for one order. The payments service learns of orders from order.created,
 * so a brand-new order can be "not found" there for a moment: a 404 is retried briefly.
 * A declined card comes back as an error on the `token` field and leaves the form usable.
 */
export function usePayment(orderId: string, { onPaid, onRefused }: { onPaid: () => void; onRefused: () => void }) {
  const [pending, setPending] = useState(false);
  const [errors, setErrors] = useState<SplitErrors>(noErrors);

  async function pay(token: string) {
    setPending(true);
    setErrors(noErrors);
    let res = await api<{ id: string; orderId: string }>('POST', '/api/payments', { orderId, token });
    for (let attempt = 0; res.status === 404 && attempt < 8; attempt++) {
      await sleep(500);
      res = await api<{ id: string; orderId: string }>('POST', '/api/payments', { orderId, token });
    }
    if (res.ok) {
      onPaid();
      return;
    }
    if (res.status === 401) {
      window.location.assign(`/auth/signin?next=${encodeURIComponent(window.location.pathname)}`);
      return;
    }
    const split = splitErrors(res.errors, ['token']);
    setErrors(split);
    setPending(false);
    // Paid already, expired or cancelled: the order itself has news.
    if (res.status === 400 && split.general.length > 0) onRefused();
  }

  /** For errors raised before the API is called (Stripe's own card validation, say). */
  const fail = (message: string) => setErrors({ fields: { token: message }, general: [] });

  return { pay, pending, errors, fail, setPending };
}

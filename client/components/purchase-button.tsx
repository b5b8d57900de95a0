'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import type { Order } from '@ticketing/contracts';
import { api, sleep } from '@/lib/browser-api';

/**
 * Reserves the ticket (POST /api/orders) and opens the new order. A ticket listed a moment ago
 * may not have reached the orders service yet (it learns of tickets from ticket.created), so a
 * 404 is retried for a few seconds before it is believed.
 */
export function PurchaseButton({ ticketId }: { ticketId: string }) {
  const router = useRouter();
  const [pending, setPending] = useState(false);
  const [taken, setTaken] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function purchase() {
    setPending(true);
    setError(null);
    let res = await api<Order>('POST', '/api/orders', { ticketId });
    for (let attempt = 0; res.status === 404 && attempt < 8; attempt++) {
      await sleep(500);
      res = await api<Order>('POST', '/api/orders', { ticketId });
    }
    if (res.ok) {
      router.push(`/orders/${res.data.id}`);
      return;
    }
    if (res.status === 401) {
      window.location.assign(`/auth/signin?next=${encodeURIComponent(window.location.pathname)}`);
      return;
    }
    if (res.status === 409) {
      setTaken(true);
      router.refresh(); // the page shows the ticket's state (reserved or sold) once the tickets service has it
    } else setError(res.errors.map((e) => e.message).join(' '));
    setPending(false);
  }

  if (taken) {
    return (
      <p className="notice notice-warning" role="alert">
        This ticket is no longer for sale
      </p>
    );
  }
  return (
    <div className="stack-sm">
      {error && (
        <p className="notice notice-error" role="alert">
          {error}
        </p>
      )}
      <button type="button" className="button button-primary button-lg" onClick={purchase} disabled={pending} aria-busy={pending || undefined}>
        Purchase
      </button>
    </div>
  );
}

'use client';

import { useEffect, useState } from 'react';
import type { Order } from '@ticketing/contracts';

/** Connections in a row that end without delivering the order, after which the page polls instead. */
const MAX_FAILURES = 3;

const isFinal = (order: Order) => order.status === 'complete' || order.status === 'cancelled';

/**
 * Follows an order as the server pushes it, while it is `live`: an EventSource on
 * /api/orders/:id/updates sends the order when it opens and again whenever it changes, until
 * it is complete or cancelled. The browser reconnects by itself when a stream ends early (its
 * life is bounded), and is sent the current order first. Returns false when the push cannot
 * be counted on (no EventSource, refused, or failing again and again): the page polls then.
 */
export function useOrderUpdates(orderId: string, live: boolean, onOrder: (order: Order) => void): boolean {
  const [pushed, setPushed] = useState(true);

  useEffect(() => {
    if (!live || !pushed) return;
    if (typeof EventSource === 'undefined') {
      setPushed(false);
      return;
    }
    const source = new EventSource(`/api/orders/${orderId}/updates`);
    let failures = 0;
    source.addEventListener('order', (e) => {
      failures = 0;
      const order = JSON.parse(e.data) as Order;
      onOrder(order);
      // The server ends the stream after a final status: no reconnecting to hear it again.
      if (isFinal(order)) source.close();
    });
    source.onerror = () => {
      // CLOSED: refused outright (an error status), the browser will not retry.
      if (source.readyState === EventSource.CLOSED || ++failures >= MAX_FAILURES) {
        source.close();
        setPushed(false);
      }
    };
    return () => source.close();
  }, [orderId, live, pushed, onOrder]);

  return pushed;
}

import { notFound, parseId, userOf } from '@ticketing/common';
import type * as api from '@ticketing/contracts';
import type { RequestHandler } from 'express';
import type { OrdersService } from '../config.js';
import { isFinal, OrderUpdates } from '../order-updates.js';

export interface StreamLimits {
  /** Open streams per process, past which a new one answers 503. */
  maxStreams: number;
  /**
   * A stream's longest life; the browser's EventSource then reconnects and gets the current view
   * first. Under the gateway's 60 s limit per request (infra/k8s/base/ingress.yaml), so a stream
   * ends cleanly rather than being cut.
   */
  lifeMs: number;
  /** A comment this often, so proxies do not close a quiet connection as idle. */
  heartbeatMs: number;
}

export const defaultStreamLimits: StreamLimits = { maxStreams: 1_000, lifeMs: 55_000, heartbeatMs: 15_000 };

/** How soon EventSource reconnects after a stream ends without a final status. */
const RETRY_MS = 1_000;

const event = (view: api.Order) => `event: order\ndata: ${JSON.stringify(view)}\n\n`;

/**
 * GET /api/orders/:id/updates: one of the signed-in user's orders as server-sent events. First
 * the order as GET /api/orders/:id shows it, then again each time it changes (in any replica),
 * until it is complete or cancelled; then the stream ends.
 */
export function orderUpdatesRoute(service: OrdersService, limits: StreamLimits = defaultStreamLimits): RequestHandler {
  const updates = new OrderUpdates(service, limits.maxStreams);
  return async (req, res) => {
    const id = parseId(req.params.id, 'Order not found');
    const followed = await updates.follow(id, userOf(req).id);
    // Someone else's order is "not found" too, as in GET /api/orders/:id.
    if (!followed) throw notFound('Order not found');
    const { first, follower } = followed;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      // no-transform: a proxy that compresses would hold events back in its buffer.
      'Cache-Control': 'no-cache, no-transform',
      'X-Accel-Buffering': 'no',
      // Not kept for another request: a stopping server waits for idle kept-alive connections too.
      Connection: 'close',
    });
    // The client went away (perhaps already, while the order was read).
    if (res.closed) follower.end();
    else res.once('close', () => follower.end());
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), limits.heartbeatMs);
    const life = setTimeout(() => follower.end(), limits.lifeMs);
    try {
      res.write(`retry: ${RETRY_MS}\n\n`);
      for (let view: api.Order | undefined = first; view; view = isFinal(view) ? undefined : await follower.next()) {
        res.write(event(view));
      }
    } finally {
      clearInterval(heartbeat);
      clearTimeout(life);
      follower.end();
      res.end();
    }
  };
}

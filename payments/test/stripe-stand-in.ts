import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the SDK sent to the stand-in, with its form body decoded. */
export interface StripeRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  form: Record<string, string>;
}

export interface StandInReply {
  status: number;
  /** JSON-encoded, except a string, which is sent as it is. */
  body: unknown;
  headers?: Record<string, string>;
}

export type Responder = (req: StripeRequest) => StandInReply | Promise<StandInReply>;

/** A successful charge, as Stripe answers POST /v1/charges (the fields the SDK and we read). */
export const chargeReply = (req: StripeRequest, id = `ch_standin_${Math.random().toString(36).slice(2, 12)}`): StandInReply => ({
  status: 200,
  body: {
    id,
    object: 'charge',
    amount: Number(req.form.amount),
    currency: req.form.currency,
    description: req.form.description,
    paid: true,
    status: 'succeeded',
  },
});

export const cardDeclined: StandInReply = {
  status: 402,
  body: { error: { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' } },
};

/**
 * A local HTTP server standing in for the Stripe API: it records what the SDK sends and
 * answers with `respond` (default: a successful charge, or refund). Point the service at it
 * with STRIPE_API_URL = `url`.
 */
export async function startStripeStandIn(respond: Responder = defaultResponder) {
  const requests: StripeRequest[] = [];
  let responder = respond;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const recorded: StripeRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        form: Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString())),
      };
      requests.push(recorded);
      try {
        const reply = await responder(recorded);
        res.writeHead(reply.status, { 'Content-Type': 'application/json', 'Request-Id': 'req_standin', ...reply.headers });
        res.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
      } catch {
        res.destroy();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    /** The charge requests only. */
    charges: () => requests.filter((r) => r.path === '/v1/charges'),
    respondWith(next: Responder) {
      responder = next;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function defaultResponder(req: StripeRequest): StandInReply {
  if (req.method === 'POST' && req.path === '/v1/charges') return chargeReply(req);
  if (req.method === 'POST' && req.path === '/v1/refunds') {
    return { status: 200, body: { id: 're_standin', object: 'refund', charge: req.form.charge, status: 'succeeded' } };
  }
  return { status: 404, body: { error: { type: 'invalid_request_error', message: `Unrecognized request URL (${req.method}: ${req.path})` } } };
}

/** A promise with its resolve function outside, to hold a reply until the test says so. */
export function gate<T = void>() {
  let open!: (value: T) => void;
  const opened = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

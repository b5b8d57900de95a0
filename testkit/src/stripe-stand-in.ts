import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fakeIntents } from './stripe-intents.js';
import { alreadyRefunded, metadataOf, metadataQuery, notFound, searchResult } from './stripe-replies.js';

/** One request the SDK sent to the stand-in, with its form body (or query string) decoded. */
export interface StripeRequest {
  method: string;
  /** With the query string, as sent. */
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

/** A charge the fake Stripe holds: what was asked, and whether its money went back. */
export interface LedgerCharge {
  id: string;
  amount: number;
  currency: string;
  source: string;
  description: string | undefined;
  metadata: Record<string, string>;
  status: 'succeeded' | 'failed';
  refunded: boolean;
  idempotencyKey: string | undefined;
}

/** A successful charge, as Stripe answers POST /v1/charges (the fields the SDK and we read). */
export const chargeReply = (req: StripeRequest, id = `ch_standin_${Math.random().toString(36).slice(2, 12)}`): StandInReply => ({
  status: 200,
  body: {
    id,
    object: 'charge',
    amount: Number(req.form.amount),
    currency: req.form.currency,
    description: req.form.description,
    metadata: metadataOf(req.form),
    paid: true,
    refunded: false,
    status: 'succeeded',
  },
});

export const cardDeclined: StandInReply = {
  status: 402,
  body: { error: { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' } },
};

/** Stripe's test tokens that the fake declines (https://docs.stripe.com/testing). */
const DECLINING_TOKENS = /^tok_chargeDeclined/;

/**
 * A fake Stripe that keeps state, for the routes the payments service uses:
 * - POST /v1/charges: a charge in the ledger (declined for `tok_chargeDeclined...`, a bad
 *   token for anything not `tok_...`);
 * - POST /v1/refunds with `charge` or `payment_intent`: the money back; a second refund
 *   (under another key) answers Stripe's `charge_already_refunded` error;
 * - GET /v1/charges/search with `metadata['key']:'value'`: the charges with that metadata;
 * - PaymentIntents: create, retrieve, cancel, search, and the buyer's side as test
 *   controls (`confirmIntent`, `completeAuthentication`), see fakeIntents.
 * The same Idempotency-Key (on the same path) gets the first answer back.
 */
export function fakeStripe() {
  const ledger: LedgerCharge[] = [];
  const intents = fakeIntents();
  const replies = new Map<string, StandInReply>();
  const respond = (req: StripeRequest): StandInReply => {
    const key = req.headers['idempotency-key'] as string | undefined;
    const replay = key && replies.get(`${req.method} ${req.path} ${key}`);
    if (replay) return { ...replay, headers: { ...replay.headers, 'Idempotent-Replayed': 'true' } };
    const reply = answer(req, key);
    if (key) replies.set(`${req.method} ${req.path} ${key}`, reply);
    return reply;
  };
  const answer = (req: StripeRequest, idempotencyKey: string | undefined): StandInReply => {
    const url = new URL(req.path, 'http://stand-in');
    if (req.method === 'POST' && url.pathname === '/v1/charges') return charge(req, idempotencyKey);
    if (req.method === 'POST' && url.pathname === '/v1/refunds') return refund(req.form);
    if (req.method === 'GET' && url.pathname === '/v1/charges/search') return search(url.searchParams.get('query') ?? '');
    const intentReply = intents.answer(req, url, idempotencyKey);
    if (intentReply) return intentReply;
    return notFound(`Unrecognized request URL (${req.method}: ${url.pathname})`);
  };
  const charge = (req: StripeRequest, idempotencyKey: string | undefined): StandInReply => {
    const source = req.form.source ?? '';
    if (!source.startsWith('tok_')) {
      return { status: 400, body: { error: { type: 'invalid_request_error', code: 'resource_missing', param: 'source', message: `No such token: '${source}'` } } };
    }
    const declined = DECLINING_TOKENS.test(source);
    const stored: LedgerCharge = {
      id: `ch_fake_${Math.random().toString(36).slice(2, 14)}`,
      amount: Number(req.form.amount),
      currency: req.form.currency ?? '',
      source,
      description: req.form.description,
      metadata: metadataOf(req.form),
      // A declined card leaves a failed charge behind, as at Stripe.
      status: declined ? 'failed' : 'succeeded',
      refunded: false,
      idempotencyKey,
    };
    ledger.push(stored);
    if (declined) return { ...cardDeclined, body: { error: { ...(cardDeclined.body as { error: object }).error, charge: stored.id } } };
    return { status: 200, body: chargeObject(stored) };
  };
  const refund = (form: Record<string, string>): StandInReply => {
    if (form.payment_intent !== undefined) return intents.refund(form.payment_intent);
    const chargeId = form.charge ?? '';
    const stored = ledger.find((c) => c.id === chargeId && c.status === 'succeeded');
    if (!stored) return intents.refundCharge(chargeId) ?? notFound(`No such charge: '${chargeId}'`, 'charge');
    if (stored.refunded) return alreadyRefunded(chargeId);
    stored.refunded = true;
    return { status: 200, body: { id: `re_fake_${chargeId}`, object: 'refund', charge: chargeId, amount: stored.amount, status: 'succeeded' } };
  };
  const search = (query: string): StandInReply => {
    const parsed = metadataQuery(query);
    if (!Array.isArray(parsed)) return parsed;
    const [field, value] = parsed;
    return searchResult('/v1/charges/search', ledger.filter((c) => c.metadata[field] === value).map(chargeObject));
  };
  return {
    respond,
    /** Every charge made (failed ones too), oldest first; intents' charges are with their intents. */
    charges: (): readonly LedgerCharge[] => ledger,
    /** Every payment intent created, oldest first, as it is now. */
    intents: intents.intents,
    /** One payment intent as it is now (throws if the fake holds none with that id). */
    intent: intents.intent,
    confirmIntent: intents.confirmIntent,
    completeAuthentication: intents.completeAuthentication,
    /** Gives a charge's or a payment intent's money back, as done by hand in Stripe's dashboard. */
    refundByHand(id: string) {
      if (id.startsWith('pi_')) return intents.refundByHand(id);
      const stored = ledger.find((c) => c.id === id);
      if (!stored) throw new Error(`the fake Stripe holds no charge ${id}`);
      stored.refunded = true;
    },
  };
}

export type FakeStripe = ReturnType<typeof fakeStripe>;

/**
 * A local HTTP server standing in for the Stripe API: it records what the SDK sends and
 * answers with `respond` (default: the stateful fake, `fake`). Point the service at it with
 * STRIPE_API_URL = `url`. `latencyMs` delays every answer, as a real round trip does.
 */
export async function startStripeStandIn(respond?: Responder, options: { latencyMs?: number } = {}) {
  const requests: StripeRequest[] = [];
  const fake = fakeStripe();
  let responder: Responder = respond ?? fake.respond;
  let latencyMs = options.latencyMs ?? 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const query = (req.url ?? '').split('?')[1] ?? '';
      const recorded: StripeRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        form: Object.fromEntries(new URLSearchParams(req.method === 'GET' ? query : Buffer.concat(chunks).toString())),
      };
      requests.push(recorded);
      try {
        if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
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
    /** The charge requests only (POST /v1/charges). */
    charges: () => requests.filter((r) => r.method === 'POST' && r.path === '/v1/charges'),
    /** The refund requests only (POST /v1/refunds). */
    refunds: () => requests.filter((r) => r.method === 'POST' && r.path === '/v1/refunds'),
    /** The payment intent creations only (POST /v1/payment_intents). */
    intents: () => requests.filter((r) => r.method === 'POST' && r.path === '/v1/payment_intents'),
    /** The stateful fake behind the default responder: its ledger, and a responder to delegate to. */
    fake,
    respondWith(next: Responder) {
      responder = next;
    },
    setLatency(ms: number) {
      latencyMs = ms;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type StripeStandIn = Awaited<ReturnType<typeof startStripeStandIn>>;

/** A promise with its resolve function outside, to hold a reply until the test says so. */
export function gate<T = void>() {
  let open!: (value: T) => void;
  const opened = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

function chargeObject(c: LedgerCharge) {
  return {
    id: c.id,
    object: 'charge',
    amount: c.amount,
    amount_refunded: c.refunded ? c.amount : 0,
    currency: c.currency,
    description: c.description,
    metadata: c.metadata,
    paid: c.status === 'succeeded',
    refunded: c.refunded,
    status: c.status,
  };
}

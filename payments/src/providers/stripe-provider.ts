import type { PaymentIntentStatus } from '@ticketing/contracts';
import Stripe from 'stripe';
import {
  PaymentProviderError,
  type ChargeRequest,
  type ChargeResult,
  type FoundCharge,
  type IntentRequest,
  type PaymentProvider,
  type ProviderIntent,
} from './payment-provider.js';

export interface StripeProviderOptions {
  secretKey: string;
  /** Another API origin, e.g. a local stand-in: `http://127.0.0.1:12111`. */
  apiUrl?: string;
  /** Automatic retries of a failed request, with the same idempotency key. */
  maxNetworkRetries?: number;
  timeoutMs?: number;
}

/** A request slower than this fails (502); retrying it with the same key cannot charge twice. */
const DEFAULT_TIMEOUT_MS = 20_000;

/** Splits an API origin into the SDK's `host`, `port` and `protocol` settings. */
export function stripeEndpoint(apiUrl: string): { host: string; port: number; protocol: 'http' | 'https' } {
  const url = new URL(apiUrl);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'), // an IPv6 literal without its brackets
    port: url.port ? Number(url.port) : protocol === 'http' ? 80 : 443,
    protocol,
  };
}

/** The charge and intent metadata that names the payment attempt, and finds it with search. */
export const ATTEMPT_METADATA = 'attempt_id';
/** The intent metadata that names the order, for whoever reads it in Stripe's dashboard. */
export const ORDER_METADATA = 'order_id';

/**
 * Takes money through the official Stripe SDK: PaymentIntents that the buyer confirms with the
 * Payment Element (the integration Stripe recommends, with 3-D Secure), and the legacy Charges
 * API for card tokens such as `tok_visa` (POST /api/payments). A card error (402) is a decline
 * and an invalid request about the `source` is a bad token: both are the buyer's to fix.
 * Everything else (network, 5xx, bad API key, rate limit) is not, and rejects with
 * PaymentProviderError. Refunds name the intent or the charge.
 */
export function createStripeProvider(options: StripeProviderOptions): PaymentProvider {
  const stripe = new Stripe(options.secretKey, {
    maxNetworkRetries: options.maxNetworkRetries ?? 2,
    timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    appInfo: { name: 'ticketing-payments' },
    ...(options.apiUrl ? stripeEndpoint(options.apiUrl) : {}),
  });
  return {
    name: 'stripe',
    async charge({ amountCents, currency, token, idempotencyKey, attemptId, description }: ChargeRequest): Promise<ChargeResult> {
      try {
        const charge = await stripe.charges.create(
          { amount: amountCents, currency, source: token, description, metadata: { [ATTEMPT_METADATA]: attemptId } },
          { idempotencyKey },
        );
        return { ok: true, chargeId: charge.id };
      } catch (err) {
        if (err instanceof Stripe.errors.StripeCardError) {
          // Stripe's card error messages are written for the buyer ("Your card has expired.").
          return { ok: false, reason: 'declined', message: err.message || 'Your card was declined' };
        }
        if (err instanceof Stripe.errors.StripeInvalidRequestError && isAboutTheToken(err)) {
          return { ok: false, reason: 'invalid_token', message: 'Invalid payment token' };
        }
        throw new PaymentProviderError(`Stripe charge failed: ${describe(err)}`, { cause: err });
      }
    },
    async findCharge(attemptId: string): Promise<FoundCharge | undefined> {
      // Search is eventually consistent (usually under a minute): attempts are looked up only
      // once they are older than that (PAYMENT_ATTEMPT_RESOLVE_AFTER_SECONDS).
      let found;
      try {
        found = await stripe.charges.search({ query: `metadata['${ATTEMPT_METADATA}']:'${attemptId}'` });
      } catch (err) {
        throw new PaymentProviderError(`Stripe search for attempt ${attemptId} failed: ${describe(err)}`, { cause: err });
      }
      // A declined card leaves a failed charge: no money taken.
      const succeeded = found.data.find((c) => c.status === 'succeeded');
      if (succeeded) return { chargeId: succeeded.id, refunded: succeeded.refunded };
      if (found.data.some((c) => c.status === 'pending')) {
        throw new PaymentProviderError(`Stripe charge for attempt ${attemptId} is still pending`);
      }
      return undefined;
    },
    async refund({ chargeId, idempotencyKey }) {
      try {
        // An intent's money is refunded by naming the intent (its latest charge is the one refunded).
        const target = chargeId.startsWith('pi_') ? { payment_intent: chargeId } : { charge: chargeId };
        await stripe.refunds.create(target, { idempotencyKey });
      } catch (err) {
        // Refunded already (by hand, or under another key): the money is back, which is the point.
        if (err instanceof Stripe.errors.StripeInvalidRequestError && err.code === 'charge_already_refunded') return;
        throw new PaymentProviderError(`Stripe refund of ${chargeId} failed: ${describe(err)}`, { cause: err });
      }
    },
    async startIntent({ amountCents, currency, orderId, attemptId, idempotencyKey, description }: IntentRequest) {
      const intent = await asking('create a payment intent', () =>
        stripe.paymentIntents.create(
          {
            amount: amountCents,
            currency,
            description,
            metadata: { [ORDER_METADATA]: orderId, [ATTEMPT_METADATA]: attemptId },
            // The Payment Element offers whatever methods the account has turned on.
            automatic_payment_methods: { enabled: true },
          },
          { idempotencyKey },
        ),
      );
      return intentOf(intent);
    },
    async findIntent({ intentId, attemptId }) {
      if (intentId) {
        try {
          return intentOf(await stripe.paymentIntents.retrieve(intentId));
        } catch (err) {
          if (err instanceof Stripe.errors.StripeInvalidRequestError && err.code === 'resource_missing') return undefined;
          throw new PaymentProviderError(`Stripe retrieve of ${intentId} failed: ${describe(err)}`, { cause: err });
        }
      }
      // Search is eventually consistent: only attempts older than a minute are looked up so.
      const found = await asking(`search for attempt ${attemptId}'s intent`, () =>
        stripe.paymentIntents.search({ query: `metadata['${ATTEMPT_METADATA}']:'${attemptId}'` }),
      );
      return found.data[0] && intentOf(found.data[0]);
    },
    async cancelIntent(intentId) {
      try {
        return intentOf(await stripe.paymentIntents.cancel(intentId, { cancellation_reason: 'abandoned' }));
      } catch (err) {
        // Succeeded or canceled already: what it is now is the answer.
        if (err instanceof Stripe.errors.StripeInvalidRequestError && err.code === 'payment_intent_unexpected_state') {
          return intentOf(await asking(`retrieve ${intentId}`, () => stripe.paymentIntents.retrieve(intentId)));
        }
        throw new PaymentProviderError(`Stripe cancel of ${intentId} failed: ${describe(err)}`, { cause: err });
      }
    },
  };
}

/** Runs one SDK call; any failure is the provider's (PaymentProviderError, answered 502). */
async function asking<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw new PaymentProviderError(`Stripe: could not ${what}: ${describe(err)}`, { cause: err });
  }
}

const STATUSES: ReadonlySet<string> = new Set<PaymentIntentStatus>([
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
  'processing',
  'succeeded',
  'canceled',
]);

/**
 * Stripe's status, or `processing` for one payments never asks for (`requires_capture`: manual
 * capture, set by hand) or that a newer API version adds: money possibly on its way, not final.
 */
const statusOf = (status: string): PaymentIntentStatus => (STATUSES.has(status) ? (status as PaymentIntentStatus) : 'processing');

/** The fields of Stripe's PaymentIntent that payments uses. */
export function intentOf(intent: Stripe.PaymentIntent): ProviderIntent {
  return {
    id: intent.id,
    clientSecret: intent.client_secret ?? '',
    status: statusOf(intent.status),
    amountCents: intent.amount,
    attemptId: intent.metadata?.[ATTEMPT_METADATA],
    lastError: intent.last_payment_error?.message ?? null,
  };
}

/** "No such token", a token used already or in use elsewhere: Stripe names `source` or a token code. */
function isAboutTheToken(err: InstanceType<typeof Stripe.errors.StripeInvalidRequestError>) {
  return err.param === 'source' || err.code === 'token_already_used' || err.code === 'token_in_use';
}

function describe(err: unknown): string {
  if (err instanceof Stripe.errors.StripeError) {
    return [err.type, err.statusCode, err.code, err.message].filter((x) => x !== undefined && x !== '').join(' ');
  }
  return err instanceof Error ? err.message : String(err);
}

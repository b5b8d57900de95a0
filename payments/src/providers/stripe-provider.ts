import Stripe from 'stripe';
import {
  PaymentProviderError,
  type ChargeRequest,
  type ChargeResult,
  type FoundCharge,
  type PaymentProvider,
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

/** The charge metadata that names the payment attempt, and finds its charge with Charges search. */
export const ATTEMPT_METADATA = 'attempt_id';

/**
 * Charges through the official Stripe SDK (Charges API, card tokens such as `tok_visa`).
 * A card error (402) is a decline and an invalid request about the `source` is a bad token:
 * both are the buyer's to fix. Everything else (network, 5xx, bad API key, rate limit, an
 * amount Stripe refuses) is not, and rejects with PaymentProviderError.
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
        await stripe.refunds.create({ charge: chargeId }, { idempotencyKey });
      } catch (err) {
        // Refunded already (by hand, or under another key): the money is back, which is the point.
        if (err instanceof Stripe.errors.StripeInvalidRequestError && err.code === 'charge_already_refunded') return;
        throw new PaymentProviderError(`Stripe refund of ${chargeId} failed: ${describe(err)}`, { cause: err });
      }
    },
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

/**
 * What the payments service needs from a payment provider: charge a card token once per
 * idempotency key, find the charge an attempt made, and give money back. Two implementations: `sandbox` (offline, Stripe's test
 * tokens) and `stripe` (the official SDK); `chooseProvider` picks one from the configuration.
 */
export interface ChargeRequest {
  /** Integer cents, e.g. 2050 for $20.50. */
  amountCents: number;
  currency: 'usd';
  /** A card token from the client, e.g. Stripe's `tok_visa`. */
  token: string;
  /** The same key never charges twice: a repeated request gets the first one's result. */
  idempotencyKey: string;
  /** The payment attempt on record for this charge; stored with the charge so `findCharge` can find it. */
  attemptId: string;
  description: string;
}

/** A charge the provider holds for an attempt. */
export interface FoundCharge {
  chargeId: string;
  /** Its money was given back already (e.g. by hand at the provider). */
  refunded: boolean;
}

/**
 * The card was charged, or the provider refused it for a reason the buyer can act on.
 * `message` is shown to the buyer.
 */
export type ChargeResult =
  | { ok: true; chargeId: string }
  | { ok: false; reason: 'declined' | 'invalid_token'; message: string };

export interface PaymentProvider {
  /** Stored with each payment: which provider holds the charge. */
  readonly name: 'sandbox' | 'stripe';
  /**
   * Resolves with the outcome; rejects (with `PaymentProviderError`) when the provider could
   * not be asked or answered with something that is not the buyer's doing (network, outage,
   * bad credentials): the charge may or may not exist, and retrying with the same key is safe.
   */
  charge(request: ChargeRequest): Promise<ChargeResult>;
  /**
   * The successful charge made for an attempt, or undefined when there is none (none was made,
   * or it failed). Rejects when the provider cannot tell yet (unreachable, a charge still
   * pending): ask again later.
   */
  findCharge(attemptId: string): Promise<FoundCharge | undefined>;
  /**
   * Gives a charge's money back in full; a charge already refunded counts as done. Rejects
   * when that could not be done.
   */
  refund(request: { chargeId: string; idempotencyKey: string }): Promise<void>;
}

/** The provider failed for a reason that is not the buyer's (answered 502, details only in the log). */
export class PaymentProviderError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PaymentProviderError';
  }
}

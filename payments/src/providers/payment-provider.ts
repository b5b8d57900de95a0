import type { PaymentIntentStatus } from '@ticketing/contracts';

/**
 * What the payments service needs from a payment provider: charge a card token once per
 * idempotency key, or start a payment intent that the buyer confirms in the browser; find what
 * an attempt made; cancel an intent; give money back. Two implementations: `sandbox` (offline,
 * Stripe's test tokens and payment methods) and `stripe` (the official SDK); `chooseProvider`
 * picks one from the configuration.
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

/** A payment intent to start for an order's attempt (the same key starts the same intent). */
export interface IntentRequest {
  amountCents: number;
  currency: 'usd';
  orderId: string;
  attemptId: string;
  idempotencyKey: string;
  description: string;
}

/** A payment intent as the provider holds it now. */
export interface ProviderIntent {
  /** `pi_...` */
  id: string;
  /** What the buyer's browser confirms the intent with; never logged. */
  clientSecret: string;
  status: PaymentIntentStatus;
  amountCents: number;
  /** The attempt it was started for (its metadata), when it names one. */
  attemptId: string | undefined;
  /** Why its last payment method failed, in words for the buyer; null when none did. */
  lastError: string | null;
}

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
  /**
   * Creates the intent, or answers the one this key created already. Rejects with
   * `PaymentProviderError` when the provider could not be asked (retrying is safe).
   */
  startIntent(request: IntentRequest): Promise<ProviderIntent>;
  /**
   * The intent by its id, or when the id was never recorded (a crash after it was created) the
   * one started for the attempt; undefined when there is none.
   */
  findIntent(ref: { intentId: string | null; attemptId: string }): Promise<ProviderIntent | undefined>;
  /**
   * Cancels an open intent so that it can no longer take money, and answers it as it is then:
   * `canceled`, or `succeeded` when the buyer's payment won the race (its money is then to be
   * given back).
   */
  cancelIntent(intentId: string): Promise<ProviderIntent>;
}

/** The provider failed for a reason that is not the buyer's (answered 502, details only in the log). */
export class PaymentProviderError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PaymentProviderError';
  }
}

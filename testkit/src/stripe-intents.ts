import { alreadyRefunded, invalidRequest, metadataOf, metadataQuery, notFound, randomId, searchResult } from './stripe-replies.js';
import type { StandInReply, StripeRequest } from './stripe-stand-in.js';

export type IntentStatus = 'requires_payment_method' | 'requires_confirmation' | 'requires_action' | 'processing' | 'succeeded' | 'canceled';

export interface PaymentError {
  type: string;
  code: string;
  decline_code?: string;
  message: string;
}

/** A PaymentIntent the fake Stripe holds. */
export interface LedgerIntent {
  id: string;
  clientSecret: string;
  amount: number;
  currency: string;
  description: string | undefined;
  metadata: Record<string, string>;
  automaticPaymentMethods: boolean;
  status: IntentStatus;
  /** Seconds since the epoch, as Stripe counts. */
  created: number;
  paymentMethod: string | null;
  /** The charge of the last confirmation (a failed one too), as Stripe's `latest_charge`. */
  latestCharge: string | null;
  lastPaymentError: PaymentError | null;
  nextAction: Record<string, unknown> | null;
  cancellationReason: string | null;
  canceledAt: number | null;
  refunded: boolean;
  idempotencyKey: string | undefined;
}

/** Stripe's test payment methods the buyer's browser can confirm with (https://docs.stripe.com/testing). */
export const TEST_PAYMENT_METHODS = ['pm_card_visa', 'pm_card_mastercard', 'pm_card_chargeDeclined', 'pm_card_authenticationRequired'] as const;
export type TestPaymentMethod = (typeof TEST_PAYMENT_METHODS)[number];

/** Stripe's smallest charge per currency, in its smallest unit (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts). */
const MINIMUM_AMOUNT: Record<string, number> = { usd: 50, eur: 50, gbp: 30 };
const MAXIMUM_AMOUNT = 99_999_999;
const CANCELABLE: IntentStatus[] = ['requires_payment_method', 'requires_confirmation', 'requires_action', 'processing'];
const CANCELLATION_REASONS = ['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned'];
const CONFIRMABLE: IntentStatus[] = ['requires_payment_method', 'requires_confirmation'];

export const cardDeclinedError: PaymentError = {
  type: 'card_error',
  code: 'card_declined',
  decline_code: 'generic_decline',
  message: 'Your card was declined.',
};
export const authenticationFailedError: PaymentError = {
  type: 'invalid_request_error',
  code: 'payment_intent_authentication_failure',
  message:
    'The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.',
};

/** The intent as Stripe's API returns it (the fields the SDK and we read). */
export function intentObject(i: LedgerIntent) {
  return {
    id: i.id,
    object: 'payment_intent' as const,
    amount: i.amount,
    amount_capturable: 0,
    amount_received: i.status === 'succeeded' ? i.amount : 0,
    automatic_payment_methods: i.automaticPaymentMethods ? { enabled: true } : null,
    canceled_at: i.canceledAt,
    cancellation_reason: i.cancellationReason,
    capture_method: 'automatic',
    client_secret: i.clientSecret,
    confirmation_method: 'automatic',
    created: i.created,
    currency: i.currency,
    customer: null,
    description: i.description ?? null,
    last_payment_error: i.lastPaymentError,
    latest_charge: i.latestCharge,
    livemode: false,
    metadata: i.metadata,
    next_action: i.nextAction,
    payment_method: i.paymentMethod,
    payment_method_types: ['card'],
    status: i.status,
  };
}

export type IntentObject = ReturnType<typeof intentObject>;

/**
 * The fake's PaymentIntents (part of `fakeStripe()`): create, retrieve, cancel and search, as
 * the server side calls them, and refunds of an intent's money. What the buyer's browser does
 * at Stripe (confirm with a test payment method, pass or fail 3-D Secure) are test controls.
 * An intent's charge lives with its intent, not among `charges()`.
 */
export function fakeIntents() {
  const ledger: LedgerIntent[] = [];
  const now = () => Math.floor(Date.now() / 1000);

  /** The answer to an intents request, or undefined for a path that is not theirs. */
  const answer = (req: StripeRequest, url: URL, idempotencyKey: string | undefined): StandInReply | undefined => {
    if (url.pathname === '/v1/payment_intents') return req.method === 'POST' ? create(req, idempotencyKey) : undefined;
    if (url.pathname === '/v1/payment_intents/search' && req.method === 'GET') {
      const query = metadataQuery(url.searchParams.get('query') ?? '');
      if (!Array.isArray(query)) return query;
      const [field, value] = query;
      return searchResult(url.pathname, ledger.filter((i) => i.metadata[field] === value).map(intentObject));
    }
    const [, id, action] = /^\/v1\/payment_intents\/([^/]+)(?:\/(\w+))?$/.exec(url.pathname) ?? [];
    if (!id) return undefined;
    const intent = ledger.find((i) => i.id === id);
    if (!intent) return notFound(`No such payment_intent: '${id}'`, 'intent');
    if (req.method === 'GET' && !action) return { status: 200, body: intentObject(intent) };
    if (req.method === 'POST' && action === 'cancel') return cancel(intent, req.form.cancellation_reason);
    return undefined;
  };

  const create = (req: StripeRequest, idempotencyKey: string | undefined): StandInReply => {
    const { amount: amountText, currency } = req.form;
    if (amountText === undefined) return invalidRequest('Missing required param: amount.', { code: 'parameter_missing', param: 'amount' });
    if (!/^-?\d+$/.test(amountText)) return invalidRequest(`Invalid integer: ${amountText}`, { code: 'parameter_invalid_integer', param: 'amount' });
    const amount = Number(amountText);
    if (amount < 1) return invalidRequest('This value must be greater than or equal to 1.', { code: 'parameter_invalid_integer', param: 'amount' });
    if (!currency) return invalidRequest('Missing required param: currency.', { code: 'parameter_missing', param: 'currency' });
    if (!/^[a-z]{3}$/.test(currency)) return invalidRequest(`Invalid currency: ${currency}.`, { code: 'parameter_invalid_string', param: 'currency' });
    const minimum = MINIMUM_AMOUNT[currency];
    if (minimum !== undefined && amount < minimum) {
      return invalidRequest(`Amount must be at least ${money(minimum, currency)} ${currency}`, { code: 'amount_too_small', param: 'amount' });
    }
    if (amount > MAXIMUM_AMOUNT) {
      return invalidRequest(`Amount must be no more than ${money(MAXIMUM_AMOUNT, currency)}`, { code: 'amount_too_large', param: 'amount' });
    }
    const id = randomId('pi_fake_');
    const intent: LedgerIntent = {
      id,
      clientSecret: `${id}_secret_${randomId('', 24)}`,
      amount,
      currency,
      description: req.form.description,
      metadata: metadataOf(req.form),
      automaticPaymentMethods: req.form['automatic_payment_methods[enabled]'] === 'true',
      status: 'requires_payment_method',
      created: now(),
      paymentMethod: null,
      latestCharge: null,
      lastPaymentError: null,
      nextAction: null,
      cancellationReason: null,
      canceledAt: null,
      refunded: false,
      idempotencyKey,
    };
    ledger.push(intent);
    return { status: 200, body: intentObject(intent) };
  };

  const cancel = (intent: LedgerIntent, reason: string | undefined): StandInReply => {
    if (!CANCELABLE.includes(intent.status)) {
      return invalidRequest(
        `You cannot cancel this PaymentIntent because it has a status of ${intent.status}. ` +
          `Only a PaymentIntent with one of the following statuses may be canceled: ${CANCELABLE.join(', ')}.`,
        { code: 'payment_intent_unexpected_state', payment_intent: intentObject(intent) },
      );
    }
    if (reason !== undefined && !CANCELLATION_REASONS.includes(reason)) {
      return invalidRequest(`Invalid cancellation_reason: must be one of ${CANCELLATION_REASONS.join(', ')}`, { param: 'cancellation_reason' });
    }
    update(intent, { status: 'canceled', cancellationReason: reason ?? null, canceledAt: now(), nextAction: null });
    return { status: 200, body: intentObject(intent) };
  };

  /** POST /v1/refunds with `payment_intent`: the intent's money back. */
  const refund = (id: string): StandInReply => {
    const intent = ledger.find((i) => i.id === id);
    return intent ? refundOf(intent) : notFound(`No such payment_intent: '${id}'`, 'payment_intent');
  };
  /** POST /v1/refunds with the `charge` of an intent; undefined if no intent has that charge. */
  const refundCharge = (chargeId: string): StandInReply | undefined => {
    const intent = ledger.find((i) => i.latestCharge === chargeId);
    return intent && refundOf(intent);
  };
  const refundOf = (intent: LedgerIntent): StandInReply => {
    if (intent.status !== 'succeeded') {
      return invalidRequest(`This PaymentIntent (${intent.id}) does not have a successful charge to refund.`, { param: 'payment_intent' });
    }
    if (intent.refunded) return alreadyRefunded(intent.latestCharge!);
    intent.refunded = true;
    return {
      status: 200,
      body: {
        id: `re_fake_${intent.latestCharge}`,
        object: 'refund',
        amount: intent.amount,
        charge: intent.latestCharge,
        currency: intent.currency,
        payment_intent: intent.id,
        status: 'succeeded',
      },
    };
  };

  const find = (id: string) => {
    const intent = ledger.find((i) => i.id === id);
    if (!intent) throw new Error(`the fake Stripe holds no payment intent ${id}`);
    return intent;
  };
  const succeed = (intent: LedgerIntent) =>
    update(intent, { status: 'succeeded', latestCharge: randomId('ch_fake_'), lastPaymentError: null, nextAction: null });
  // A failed attempt detaches its payment method: the buyer must give another.
  const fail = (intent: LedgerIntent, error: PaymentError) =>
    update(intent, { status: 'requires_payment_method', paymentMethod: null, lastPaymentError: error, nextAction: null });

  return {
    answer,
    refund,
    refundCharge,
    /** Every intent created, oldest first, as the fake holds it now. */
    intents: (): readonly LedgerIntent[] => ledger,
    intent: find,
    /**
     * The buyer confirms with one of Stripe's test payment methods (Stripe.js's confirmPayment):
     * visa and mastercard succeed; chargeDeclined is declined (the buyer may try again);
     * authenticationRequired waits for 3-D Secure (`completeAuthentication`).
     */
    confirmIntent(id: string, paymentMethod: TestPaymentMethod): LedgerIntent {
      const intent = find(id);
      if (!CONFIRMABLE.includes(intent.status)) {
        throw new Error(`You cannot confirm this PaymentIntent because it has a status of ${intent.status}.`);
      }
      if (!TEST_PAYMENT_METHODS.includes(paymentMethod)) throw new Error(`the fake Stripe knows no payment method ${paymentMethod}`);
      if (paymentMethod === 'pm_card_chargeDeclined') {
        // A declined card leaves a failed charge behind, as at Stripe.
        return fail(update(intent, { latestCharge: randomId('ch_fake_') }), cardDeclinedError);
      }
      if (paymentMethod === 'pm_card_authenticationRequired') {
        return update(intent, {
          status: 'requires_action',
          paymentMethod,
          lastPaymentError: null,
          nextAction: {
            type: 'use_stripe_sdk',
            use_stripe_sdk: { type: 'three_d_secure_redirect', stripe_js: `https://hooks.stripe.com/3d_secure_2/hosted?intent=${id}`, source: randomId('src_fake_') },
          },
        });
      }
      return succeed(update(intent, { paymentMethod }));
    },
    /** The buyer passes (`ok`) or fails the 3-D Secure challenge of an intent in requires_action. */
    completeAuthentication(id: string, ok: boolean): LedgerIntent {
      const intent = find(id);
      if (intent.status !== 'requires_action') throw new Error(`the payment intent ${id} is ${intent.status}, not requires_action`);
      return ok ? succeed(intent) : fail(intent, authenticationFailedError);
    },
    /** Gives a succeeded intent's money back, as done by hand in Stripe's dashboard. */
    refundByHand(id: string) {
      const intent = find(id);
      if (intent.status !== 'succeeded') throw new Error(`the payment intent ${id} is ${intent.status}: there is no money to give back`);
      intent.refunded = true;
    },
  };
}

export type FakeIntents = ReturnType<typeof fakeIntents>;

function update(intent: LedgerIntent, changes: Partial<LedgerIntent>): LedgerIntent {
  return Object.assign(intent, changes);
}

/** An amount in a currency's smallest unit, as Stripe's messages write it ("$0.50"). */
function money(amount: number, currency: string) {
  return new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() }).format(amount / 100);
}

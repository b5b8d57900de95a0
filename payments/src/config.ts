import { baseConfigSchema, type ServiceContext } from '@ticketing/common';
import { z } from 'zod';

/** A whole-number setting from `min` to `max` (in `unit`), with its default. */
const wholeNumber = (min: number, max: number, unit: string, fallback: number) => {
  const message = `must be a whole number${unit ? ` of ${unit}` : ''} from ${min} to ${max}`;
  return z.coerce.number({ error: message }).int(message).min(min, message).max(max, message).default(fallback);
};

export const configSchema = baseConfigSchema
  .extend({
    /**
     * Which provider charges cards: `stripe` (needs STRIPE_SECRET_KEY) or the offline `sandbox`
     * (Stripe's test tokens, no network, no money). Unset: stripe when STRIPE_SECRET_KEY is set,
     * else the sandbox, except in production, where the service then refuses to start: a missing
     * secret must not turn into free tickets.
     */
    PAYMENTS_PROVIDER: z.enum(['stripe', 'sandbox'], { error: 'must be "stripe" or "sandbox"' }).optional(),
    /** The Stripe secret key: charges go through Stripe (see PAYMENTS_PROVIDER). */
    STRIPE_SECRET_KEY: z
      .string()
      .regex(/^(sk|rk)_\S+$/, 'must be a Stripe secret key (sk_... or a restricted rk_... key), not a publishable pk_ key')
      .optional(),
    /**
     * Where the Stripe SDK sends its requests, e.g. `http://127.0.0.1:12111` for a local
     * stand-in (stripe-mock, or a test server). Default: Stripe's own API.
     */
    STRIPE_API_URL: z
      .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL', abort: true })
      .refine((u) => new URL(u).pathname === '/', 'must be an origin only, e.g. http://127.0.0.1:12111 (the SDK adds /v1/...)')
      .optional(),
    /** Retries of a failed Stripe request (same idempotency key, so never a second charge). */
    STRIPE_MAX_NETWORK_RETRIES: wholeNumber(0, 10, '', 2),
    /**
     * The signing secret of the Stripe webhook endpoint (`whsec_...`, from the dashboard or
     * `stripe listen`): POST /api/payments/webhook exists only with it, and checks every
     * delivery's signature with it. Required in production with the stripe provider; elsewhere,
     * without it, intents are settled by the reconciler alone.
     */
    STRIPE_WEBHOOK_SECRET: z.string().regex(/^whsec_\S+$/, 'must be a Stripe webhook signing secret (whsec_...)').optional(),
    /** How old a webhook's signed timestamp may be, in seconds: an older delivery is refused as a replay (Stripe's default, 300). */
    STRIPE_WEBHOOK_TOLERANCE_SECONDS: wholeNumber(1, 3600, 'seconds', 300),
    /**
     * How long each sandbox charge takes, in milliseconds (default 0). A real provider answers
     * in a second or two; whole-system tests set this to make payments race order expiry.
     */
    SANDBOX_CHARGE_LATENCY_MS: wholeNumber(0, 60_000, 'milliseconds', 0),
    /**
     * A payment attempt still pending this many seconds after it last started a charge is
     * settled with the provider: the charge is recorded or refunded, or the attempt failed.
     * It must outlast a request's whole provider call (timeout times retries) and the time
     * Stripe's search takes to see a new charge (under a minute, normally); default 300.
     */
    PAYMENT_ATTEMPT_RESOLVE_AFTER_SECONDS: wholeNumber(1, 86_400, 'seconds', 300),
    /**
     * A payment intent still open this many seconds after it was last heard of is asked about at
     * the provider, in case its webhook was lost (default 60; Stripe's search, which finds an
     * intent whose id was never recorded, can take about that long). An open intent whose order
     * was cancelled or expired is cancelled at once, whatever this says.
     */
    PAYMENT_INTENT_RECONCILE_AFTER_SECONDS: wholeNumber(1, 86_400, 'seconds', 60),
    /**
     * How long a payment for an order this service has not heard of yet waits for it (the
     * order.created event), once the orders service has said it exists (default 5).
     */
    PAYMENT_ORDER_WAIT_SECONDS: wholeNumber(1, 60, 'seconds', 5),
    /**
     * How long the orders service holds an order for a charge under way (cancel and expiry
     * wait): it must outlast the provider call, timeouts and retries included (default 90).
     * A declined charge lets go at once.
     */
    PAYMENT_CLAIM_SECONDS: wholeNumber(1, 300, 'seconds', 90),
  })
  .superRefine((c, ctx) => {
    if (c.PAYMENTS_PROVIDER === 'stripe' && !c.STRIPE_SECRET_KEY) {
      ctx.addIssue({ code: 'custom', path: ['STRIPE_SECRET_KEY'], message: 'is required when PAYMENTS_PROVIDER is "stripe"' });
    }
    const stripe = c.PAYMENTS_PROVIDER === 'stripe' || (!c.PAYMENTS_PROVIDER && c.STRIPE_SECRET_KEY);
    if (c.NODE_ENV === 'production' && stripe && !c.STRIPE_WEBHOOK_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['STRIPE_WEBHOOK_SECRET'],
        message: 'is required in production with the stripe provider: payments confirmed in the browser are learned from the webhook',
      });
    }
    if (c.NODE_ENV === 'production' && !c.PAYMENTS_PROVIDER && !c.STRIPE_SECRET_KEY) {
      ctx.addIssue({
        code: 'custom',
        path: ['STRIPE_SECRET_KEY'],
        message: 'is required in production (or PAYMENTS_PROVIDER=sandbox, to take no money on purpose)',
      });
    }
  });

/** The service's settings, read once at start (`loadConfig(configSchema)` in main.ts). */
export type Config = z.infer<typeof configSchema>;
/** The service context, with the payments service's own settings. */
export type PaymentsService = ServiceContext<Config>;

import { baseConfigSchema, type ServiceContext } from '@ticketing/common';
import { z } from 'zod';

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
    STRIPE_MAX_NETWORK_RETRIES: z.coerce
      .number({ error: 'must be a whole number from 0 to 10' })
      .int('must be a whole number from 0 to 10')
      .min(0, 'must be a whole number from 0 to 10')
      .max(10, 'must be a whole number from 0 to 10')
      .default(2),
    /**
     * How long each sandbox charge takes, in milliseconds (default 0). A real provider answers
     * in a second or two; whole-system tests set this to make payments race order expiry.
     */
    SANDBOX_CHARGE_LATENCY_MS: z.coerce
      .number({ error: 'must be a whole number of milliseconds from 0 to 60000' })
      .int('must be a whole number of milliseconds from 0 to 60000')
      .min(0, 'must be a whole number of milliseconds from 0 to 60000')
      .max(60_000, 'must be a whole number of milliseconds from 0 to 60000')
      .default(0),
    /**
     * A payment attempt still pending this many seconds after it last started a charge is
     * settled with the provider: the charge is recorded or refunded, or the attempt failed.
     * It must outlast a request's whole provider call (timeout times retries) and the time
     * Stripe's search takes to see a new charge (under a minute, normally); default 300.
     */
    PAYMENT_ATTEMPT_RESOLVE_AFTER_SECONDS: z.coerce
      .number({ error: 'must be a whole number of seconds from 1 to 86400' })
      .int('must be a whole number of seconds from 1 to 86400')
      .min(1, 'must be a whole number of seconds from 1 to 86400')
      .max(86_400, 'must be a whole number of seconds from 1 to 86400')
      .default(300),
  })
  .superRefine((c, ctx) => {
    if (c.PAYMENTS_PROVIDER === 'stripe' && !c.STRIPE_SECRET_KEY) {
      ctx.addIssue({ code: 'custom', path: ['STRIPE_SECRET_KEY'], message: 'is required when PAYMENTS_PROVIDER is "stripe"' });
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

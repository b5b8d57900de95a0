import { randomBytes } from 'node:crypto';
import type { Db } from '@ticketing/common';
import type { ChargeRequest, ChargeResult, FoundCharge, PaymentProvider } from './payment-provider.js';
import { sandboxIntentStore, type SandboxIntentStore } from './sandbox-intents.js';

/** Stripe's test tokens that the sandbox knows (https://docs.stripe.com/testing). */
export const SANDBOX_TOKENS = {
  succeeds: ['tok_visa', 'tok_mastercard'],
  declined: ['tok_chargeDeclined'],
} as const;

/** How many successful charges the sandbox remembers for idempotency (oldest forgotten first). */
const REMEMBERED_CHARGES = 10_000;

/** The sandbox provider, with the intent steps that the buyer's browser takes at Stripe itself. */
export interface SandboxProvider extends PaymentProvider {
  readonly name: 'sandbox';
  readonly intents: SandboxIntentStore;
}

/**
 * The default provider: no network, no keys.
 *
 * Charges behave like Stripe's for its test tokens: `tok_visa` and `tok_mastercard` succeed,
 * `tok_chargeDeclined` is declined, anything else is an invalid token, and a repeated
 * idempotency key gets the first charge's id back. Unlike Stripe, only successful charges are
 * remembered per key, so a buyer whose card was declined can try another one. That memory is per
 * process: each replica has its own, and `findCharge` finds only this process's charges.
 *
 * Payment intents are kept in the database (sandbox-intents.ts), confirmed with Stripe's test
 * payment methods, including one that requires a 3-D Secure challenge.
 *
 * `latencyMs` makes every charge and every intent created take that long, as a real provider's
 * round trip does.
 */
export function createSandboxProvider(options: { db: Db; latencyMs?: number }): SandboxProvider {
  const charges = new Map<string, { chargeId: string; attemptId: string }>();
  const latencyMs = options.latencyMs ?? 0;
  // A provider's round trip, when asked for: the time in which the order can expire.
  const roundTrip = () => (latencyMs > 0 ? new Promise((r) => setTimeout(r, latencyMs)) : undefined);
  const intents = sandboxIntentStore(options.db);
  return {
    name: 'sandbox',
    intents,
    async charge({ token, idempotencyKey, attemptId }: ChargeRequest): Promise<ChargeResult> {
      await roundTrip();
      const earlier = charges.get(idempotencyKey);
      if (earlier) return { ok: true, chargeId: earlier.chargeId };
      if ((SANDBOX_TOKENS.declined as readonly string[]).includes(token)) {
        return { ok: false, reason: 'declined', message: 'Your card was declined' };
      }
      if (!(SANDBOX_TOKENS.succeeds as readonly string[]).includes(token)) {
        return { ok: false, reason: 'invalid_token', message: 'Invalid payment token' };
      }
      const chargeId = `ch_sandbox_${randomBytes(12).toString('hex')}`;
      charges.set(idempotencyKey, { chargeId, attemptId });
      if (charges.size > REMEMBERED_CHARGES) charges.delete(charges.keys().next().value!);
      return { ok: true, chargeId };
    },
    async findCharge(attemptId: string): Promise<FoundCharge | undefined> {
      // After a restart the memory is gone, and so is the charge: the sandbox takes no money.
      for (const charge of charges.values()) if (charge.attemptId === attemptId) return { chargeId: charge.chargeId, refunded: false };
      return undefined;
    },
    async refund({ chargeId }) {
      // A token charge took nothing, so there is nothing to give back; an intent is marked refunded.
      if (chargeId.startsWith('pi_')) await intents.refund(chargeId);
    },
    async startIntent(request) {
      await roundTrip();
      return intents.start(request);
    },
    findIntent: (ref) => intents.find(ref),
    cancelIntent: (intentId) => intents.cancel(intentId),
  };
}

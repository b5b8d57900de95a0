import { randomBytes } from 'node:crypto';
import type { ChargeRequest, ChargeResult, PaymentProvider } from './payment-provider.js';

/** Stripe's test tokens that the sandbox knows (https://docs.stripe.com/testing). */
export const SANDBOX_TOKENS = {
  succeeds: ['tok_visa', 'tok_mastercard'],
  declined: ['tok_chargeDeclined'],
} as const;

/** How many successful charges the sandbox remembers for idempotency (oldest forgotten first). */
const REMEMBERED_CHARGES = 10_000;

/**
 * The default provider: no network, no keys. It behaves like Stripe for its test tokens:
 * `tok_visa` and `tok_mastercard` succeed, `tok_chargeDeclined` is declined, anything else is
 * an invalid token, and a repeated idempotency key gets the first charge's id back.
 *
 * Unlike Stripe, only successful charges are remembered per key, so a buyer whose card was
 * declined can try another one. Memory is per process: each replica has its own.
 */
export function createSandboxProvider(): PaymentProvider {
  const charges = new Map<string, string>();
  return {
    name: 'sandbox',
    async charge({ token, idempotencyKey }: ChargeRequest): Promise<ChargeResult> {
      const earlier = charges.get(idempotencyKey);
      if (earlier) return { ok: true, chargeId: earlier };
      if ((SANDBOX_TOKENS.declined as readonly string[]).includes(token)) {
        return { ok: false, reason: 'declined', message: 'Your card was declined' };
      }
      if (!(SANDBOX_TOKENS.succeeds as readonly string[]).includes(token)) {
        return { ok: false, reason: 'invalid_token', message: 'Invalid payment token' };
      }
      const chargeId = `ch_sandbox_${randomBytes(12).toString('hex')}`;
      charges.set(idempotencyKey, chargeId);
      if (charges.size > REMEMBERED_CHARGES) charges.delete(charges.keys().next().value!);
      return { ok: true, chargeId };
    },
    async refund() {
      // Nothing was taken, so there is nothing to give back.
    },
  };
}

import { randomBytes } from 'node:crypto';
import type { ChargeRequest, ChargeResult, FoundCharge, PaymentProvider } from './payment-provider.js';

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
 * `latencyMs` makes every charge take that long, as a real provider's round trip does.
 *
 * Unlike Stripe, only successful charges are remembered per key, so a buyer whose card was
 * declined can try another one. Memory is per process: each replica has its own, and
 * `findCharge` finds only this process's charges.
 */
export function createSandboxProvider(options: { latencyMs?: number } = {}): PaymentProvider {
  const charges = new Map<string, { chargeId: string; attemptId: string }>();
  const latencyMs = options.latencyMs ?? 0;
  return {
    name: 'sandbox',
    async charge({ token, idempotencyKey, attemptId }: ChargeRequest): Promise<ChargeResult> {
      // A provider's round trip, when asked for: the time in which the order can expire.
      if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
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
    async refund() {
      // Nothing was taken, so there is nothing to give back.
    },
  };
}

import { randomBytes } from 'node:crypto';
import type { Db } from '@ticketing/common';
import type { PaymentIntentStatus, SandboxPaymentMethod } from '@ticketing/contracts';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { sandboxIntents, type SandboxIntent } from '../db/schema.js';
import type { IntentRequest, ProviderIntent } from './payment-provider.js';

/** What each of the sandbox's test payment methods does when an intent is confirmed with it (Stripe's names and messages). */
const OUTCOMES: Record<SandboxPaymentMethod, { status: PaymentIntentStatus; lastError: string | null }> = {
  pm_card_visa: { status: 'succeeded', lastError: null },
  pm_card_mastercard: { status: 'succeeded', lastError: null },
  pm_card_chargeDeclined: { status: 'requires_payment_method', lastError: 'Your card was declined.' },
  // 3-D Secure: the buyer must pass the sandbox bank's challenge (authenticate below).
  pm_card_authenticationRequired: { status: 'requires_action', lastError: null },
};
export const AUTHENTICATION_FAILED = 'We are unable to authenticate your payment method. Please choose a different payment method and try again.';

/** Statuses in which an intent takes a payment method, as at Stripe. */
const CONFIRMABLE: PaymentIntentStatus[] = ['requires_payment_method', 'requires_confirmation'];

/** The sandbox refused a step the intent's status does not allow (answered 400). */
export class SandboxStateError extends Error {
  constructor(readonly intent: ProviderIntent) {
    super(`sandbox intent ${intent.id} is ${intent.status}`);
    this.name = 'SandboxStateError';
  }
}

const newId = (prefix: string) => `${prefix}${randomBytes(12).toString('hex')}`;

/**
 * The sandbox's payment intents, kept in the payments database (table sandbox_intents), so the
 * flow behaves as at Stripe across requests and replicas: created once per idempotency key,
 * confirmed with a test payment method, challenged for 3-D Secure, cancelled, refunded. No
 * network and no money.
 */
export function sandboxIntentStore(db: Db) {
  const byId = async (id: string) => (await db.select().from(sandboxIntents).where(eq(sandboxIntents.id, id)))[0];
  /** Moves an intent from one of `from` to `to`; the guard in SQL makes two racing steps one. */
  async function move(clientSecret: string, from: PaymentIntentStatus[], to: { status: PaymentIntentStatus; lastError: string | null }) {
    const [moved] = await db
      .update(sandboxIntents)
      .set(to)
      .where(and(eq(sandboxIntents.clientSecret, clientSecret), inArray(sandboxIntents.status, from)))
      .returning();
    if (moved) return asIntent(moved);
    const [now] = await db.select().from(sandboxIntents).where(eq(sandboxIntents.clientSecret, clientSecret));
    if (!now) return undefined;
    throw new SandboxStateError(asIntent(now));
  }
  return {
    async start({ amountCents, currency, orderId, attemptId, idempotencyKey }: IntentRequest): Promise<ProviderIntent> {
      const id = newId('pi_sandbox_');
      await db
        .insert(sandboxIntents)
        .values({ id, clientSecret: newId(`${id}_secret_`), idempotencyKey, amountCents, currency, attemptId, orderId, status: 'requires_payment_method' })
        .onConflictDoNothing({ target: sandboxIntents.idempotencyKey });
      const [stored] = await db.select().from(sandboxIntents).where(eq(sandboxIntents.idempotencyKey, idempotencyKey));
      return asIntent(stored!);
    },
    async find({ intentId, attemptId }: { intentId: string | null; attemptId: string }) {
      const [found] = await db
        .select()
        .from(sandboxIntents)
        .where(intentId ? eq(sandboxIntents.id, intentId) : eq(sandboxIntents.attemptId, attemptId));
      return found && asIntent(found);
    },
    /** The intent a client secret belongs to, with its order (for the routes' owner check). */
    async bySecret(clientSecret: string) {
      const [found] = await db.select().from(sandboxIntents).where(eq(sandboxIntents.clientSecret, clientSecret));
      return found && { intent: asIntent(found), orderId: found.orderId };
    },
    async cancel(intentId: string): Promise<ProviderIntent> {
      await db
        .update(sandboxIntents)
        .set({ status: 'canceled' })
        .where(and(eq(sandboxIntents.id, intentId), sql`${sandboxIntents.status} not in ('succeeded', 'canceled')`));
      const found = await byId(intentId);
      if (!found) throw new Error(`no sandbox intent ${intentId}`);
      return asIntent(found);
    },
    /** The buyer confirms with a test payment method; undefined for an unknown secret. */
    confirm: (clientSecret: string, method: SandboxPaymentMethod) => move(clientSecret, CONFIRMABLE, OUTCOMES[method]),
    /** The buyer passes or fails the 3-D Secure challenge of an intent that requires action. */
    authenticate: (clientSecret: string, outcome: 'complete' | 'fail') =>
      move(
        clientSecret,
        ['requires_action'],
        outcome === 'complete' ? { status: 'succeeded', lastError: null } : { status: 'requires_payment_method', lastError: AUTHENTICATION_FAILED },
      ),
    /** A succeeded intent's money back; one refunded already counts as done. */
    async refund(intentId: string) {
      const found = await byId(intentId);
      if (!found || found.status !== 'succeeded') throw new Error(`sandbox intent ${intentId} has no money to refund`);
      if (!found.refunded) await db.update(sandboxIntents).set({ refunded: true }).where(eq(sandboxIntents.id, intentId));
    },
  };
}

export type SandboxIntentStore = ReturnType<typeof sandboxIntentStore>;

function asIntent(row: SandboxIntent): ProviderIntent {
  return { id: row.id, clientSecret: row.clientSecret, status: row.status, amountCents: row.amountCents, attemptId: row.attemptId, lastError: row.lastError };
}

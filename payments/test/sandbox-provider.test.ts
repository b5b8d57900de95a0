import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Db } from '@ticketing/common';
import { createSandboxProvider as create } from '../src/providers/sandbox-provider.js';

/** Token charges keep no records (sandbox-intents.test.ts tests the intents, in the database). */
const createSandboxProvider = (options: { latencyMs?: number } = {}) => create({ db: {} as Db, ...options });

const request = (token: string, idempotencyKey = randomUUID(), attemptId = randomUUID()) => ({
  amountCents: 2050,
  currency: 'usd' as const,
  token,
  idempotencyKey,
  attemptId,
  description: 'Ticketing order',
});

describe('sandbox provider', () => {
  it.each(['tok_visa', 'tok_mastercard'])('when the token is %s, then the charge succeeds with a ch_sandbox_ id', async (token) => {
    const result = await createSandboxProvider().charge(request(token));

    expect(result).toEqual({ ok: true, chargeId: expect.stringMatching(/^ch_sandbox_[0-9a-f]{24}$/) });
  });

  it('when the token is tok_chargeDeclined, then it is declined with a message for the buyer', async () => {
    const result = await createSandboxProvider().charge(request('tok_chargeDeclined'));

    expect(result).toEqual({ ok: false, reason: 'declined', message: 'Your card was declined' });
  });

  it.each(['tok_unknown', 'tok_amex', 'TOK_VISA', 'tok_visa ', '', '4242424242424242'])(
    'when the token is %j, then it is an invalid token',
    async (token) => {
      const result = await createSandboxProvider().charge(request(token));

      expect(result).toEqual({ ok: false, reason: 'invalid_token', message: 'Invalid payment token' });
    },
  );

  it('when a latency is set, then each charge answers no sooner than that', async () => {
    const sandbox = createSandboxProvider({ latencyMs: 300 });
    const started = performance.now();

    const result = await sandbox.charge(request('tok_visa'));

    expect(performance.now() - started).toBeGreaterThanOrEqual(295);
    expect(result).toEqual({ ok: true, chargeId: expect.stringMatching(/^ch_sandbox_/) });
  });

  it('when the same idempotency key is charged twice, then the second gets the first charge id back', async () => {
    const sandbox = createSandboxProvider();
    const key = randomUUID();

    const first = await sandbox.charge(request('tok_visa', key));
    const second = await sandbox.charge(request('tok_mastercard', key));

    expect(first.ok && second.ok).toBe(true);
    expect(second).toEqual(first);
  });

  it('when different idempotency keys are charged, then each gets its own charge id', async () => {
    const sandbox = createSandboxProvider();

    const ids = await Promise.all(Array.from({ length: 50 }, () => sandbox.charge(request('tok_visa'))));

    expect(new Set(ids.map((r) => (r.ok ? r.chargeId : r.reason))).size).toBe(50);
  });

  it('when a key was declined, then the same key can still succeed with another card', async () => {
    const sandbox = createSandboxProvider();
    const key = randomUUID();

    expect((await sandbox.charge(request('tok_chargeDeclined', key))).ok).toBe(false);
    expect((await sandbox.charge(request('tok_visa', key))).ok).toBe(true);
  });

  it("when an attempt's charge is looked up, then the charge it made is found, and nothing for an attempt that made none", async () => {
    const sandbox = createSandboxProvider();
    const attemptId = randomUUID();
    const charged = await sandbox.charge(request('tok_visa', randomUUID(), attemptId));
    const declinedAttempt = randomUUID();
    await sandbox.charge(request('tok_chargeDeclined', randomUUID(), declinedAttempt));

    expect(charged.ok && (await sandbox.findCharge(attemptId))).toEqual({ chargeId: charged.ok && charged.chargeId, refunded: false });
    expect(await sandbox.findCharge(declinedAttempt)).toBeUndefined();
    expect(await createSandboxProvider().findCharge(attemptId)).toBeUndefined(); // another process's memory
  });

  it('when a sandbox charge is refunded, then it resolves (nothing was taken)', async () => {
    await expect(createSandboxProvider().refund({ chargeId: 'ch_sandbox_x', idempotencyKey: 'k' })).resolves.toBeUndefined();
  });
});

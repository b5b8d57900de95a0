import { badRequest, notFound, parseBody, userOf } from '@ticketing/common';
import type { SandboxIntentResult } from '@ticketing/contracts';
import type { RequestHandler } from 'express';
import type { z } from 'zod';
import type { PaymentsService } from '../config.js';
import { sandboxAuthenticateInput, sandboxConfirmInput } from '../inputs.js';
import { applyIntent } from '../intent-outcome.js';
import { findBuyersOrder, refuseUnpayable } from '../payable-order.js';
import type { ProviderIntent } from '../providers/payment-provider.js';
import { SandboxStateError } from '../providers/sandbox-intents.js';
import type { SandboxProvider } from '../providers/sandbox-provider.js';

const paymentNotFound = () => notFound('Payment not found');

/**
 * POST /api/payments/sandbox/confirm and /authenticate: what the buyer's browser does at Stripe
 * (confirm with a payment method, pass the bank's 3-D Secure challenge), done offline against
 * the sandbox. The client secret names the intent, as at Stripe; only the order's buyer may
 * use it (anyone else is told it does not exist), and only while the order can be paid. The
 * outcome goes through applyIntent, as a webhook's does.
 */
export function sandboxIntentRoutes(service: PaymentsService, provider: SandboxProvider) {
  const step =
    <S extends z.ZodType<{ clientSecret: string }>>(schema: S, take: (input: z.infer<S>) => Promise<ProviderIntent | undefined>): RequestHandler =>
    async (req, res) => {
      const input = parseBody(req, schema);
      const found = await provider.intents.bySecret(input.clientSecret);
      const order = found && (await findBuyersOrder(service, userOf(req).id, found.orderId).catch(() => undefined));
      if (!order) throw paymentNotFound();
      await refuseUnpayable(service, order);
      let intent;
      try {
        intent = await take(input);
      } catch (err) {
        if (!(err instanceof SandboxStateError)) throw err;
        // A step repeated after its first answer was lost (the process died before recording
        // it, say): what the intent became is recorded now, not only by the reconciler later.
        await applyIntent(service, provider, err.intent, req.log);
        throw badRequest(`This payment cannot take that step: it is ${err.intent.status.replaceAll('_', ' ')}`);
      }
      if (!intent) throw paymentNotFound();
      await applyIntent(service, provider, intent, req.log);
      res.json({ status: intent.status, lastError: intent.lastError } satisfies SandboxIntentResult);
    };
  return {
    confirm: step(sandboxConfirmInput, ({ clientSecret, paymentMethod }) => provider.intents.confirm(clientSecret, paymentMethod)),
    authenticate: step(sandboxAuthenticateInput, ({ clientSecret, outcome }) => provider.intents.authenticate(clientSecret, outcome)),
  };
}

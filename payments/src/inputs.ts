import { textField } from '@ticketing/common';
import { SANDBOX_PAYMENT_METHODS, type PaymentInput, type PaymentIntentInput, type SandboxAuthenticateInput, type SandboxConfirmInput } from '@ticketing/contracts';
import { z } from 'zod';

export const MAX_TOKEN_LENGTH = 255;

const orderId = z
  .uuid({ error: (issue) => (issue.input === undefined ? 'Order id is required' : 'Order id must be a UUID') })
  .transform((id) => id.toLowerCase());

/** The body of POST /api/payments. */
export const paymentInput = z.object({
  orderId,
  token: textField('Payment token', MAX_TOKEN_LENGTH),
}) satisfies z.ZodType<PaymentInput>;

/** The body of POST /api/payments/intents. */
export const paymentIntentInput = z.object({ orderId }) satisfies z.ZodType<PaymentIntentInput>;

const clientSecret = textField('Client secret', MAX_TOKEN_LENGTH);

/** The body of POST /api/payments/sandbox/confirm. */
export const sandboxConfirmInput = z.object({
  clientSecret,
  paymentMethod: z.enum(SANDBOX_PAYMENT_METHODS, { error: `Payment method must be one of ${SANDBOX_PAYMENT_METHODS.join(', ')}` }),
}) satisfies z.ZodType<SandboxConfirmInput>;

/** The body of POST /api/payments/sandbox/authenticate. */
export const sandboxAuthenticateInput = z.object({
  clientSecret,
  outcome: z.enum(['complete', 'fail'], { error: 'Outcome must be "complete" or "fail"' }),
}) satisfies z.ZodType<SandboxAuthenticateInput>;

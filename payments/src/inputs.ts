import { textField } from '@ticketing/common';
import type { PaymentInput } from '@ticketing/contracts';
import { z } from 'zod';

export const MAX_TOKEN_LENGTH = 255;

/** The body of POST /api/payments. */
export const paymentInput = z.object({
  orderId: z
    .uuid({ error: (issue) => (issue.input === undefined ? 'Order id is required' : 'Order id must be a UUID') })
    .transform((id) => id.toLowerCase()),
  token: textField('Payment token', MAX_TOKEN_LENGTH),
}) satisfies z.ZodType<PaymentInput>;

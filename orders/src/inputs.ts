import type { OrderInput } from '@ticketing/contracts';
import { z } from 'zod';

/** The body of POST /api/orders. */
export const orderInput = z.object({
  ticketId: z.uuid({
    error: (issue) => (issue.input === undefined ? 'ticketId is required' : 'ticketId must be a valid id'),
  }),
}) satisfies z.ZodType<OrderInput>;

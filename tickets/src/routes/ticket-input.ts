import { priceSchema } from '@ticketing/common';
import { z } from 'zod';

/** The body of POST and PUT /api/tickets. */
export const ticketInput = z.object({
  title: z
    .string({ error: 'Title is required' })
    .trim()
    .min(1, 'Title is required')
    .max(200, 'Title must be at most 200 characters'),
  price: priceSchema,
});

import { priceSchema, textField } from '@ticketing/common';
import { z } from 'zod';

/** The body of POST and PUT /api/tickets. */
export const ticketInput = z.object({
  title: textField('Title', 200),
  price: priceSchema,
});

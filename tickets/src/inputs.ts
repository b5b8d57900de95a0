import { textField } from '@ticketing/common';
import { priceSchema, type TicketInput } from '@ticketing/contracts';
import { z } from 'zod';

/** The body of POST and PUT /api/tickets. */
export const ticketInput = z.object({
  title: textField('Title', 200),
  price: priceSchema,
}) satisfies z.ZodType<TicketInput>;

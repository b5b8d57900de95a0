import { textField } from '@ticketing/common';
import { priceSchema, type TicketInput } from '@ticketing/contracts';
import { z } from 'zod';

/**
 * The lowest price a ticket can be listed at: Stripe's minimum charge in USD, so no ticket is
 * one nobody can pay for. Only new input is held to it: events keep the contract's rule, as
 * tickets listed before may be cheaper.
 */
export const MIN_PRICE = 0.5;

/** The contract's price rule, with the minimum first (one message per bad price). */
const ticketPrice = z
  .number({ error: 'Price must be a number' })
  .refine((p) => p >= MIN_PRICE, { message: `Price must be at least ${MIN_PRICE.toFixed(2)}`, abort: true })
  .pipe(priceSchema);

/** The body of POST and PUT /api/tickets. */
export const ticketInput = z.object({
  title: textField('Title', 200),
  price: ticketPrice,
}) satisfies z.ZodType<TicketInput>;

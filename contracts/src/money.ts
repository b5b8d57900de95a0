import { z } from 'zod';

/**
 * Money is a decimal number of dollars (`price: 12.5`) in the HTTP API and in events alike:
 * more than 0, at most MAX_PRICE, and a whole number of cents. Services store cents.
 */
export const MAX_PRICE = 1_000_000;

/** One message per bad price: the first rule it breaks. */
export const priceSchema = z
  .number({ error: 'Price must be a number' })
  .refine(Number.isFinite, { message: 'Price must be a number', abort: true })
  .refine((p) => p > 0, { message: 'Price must be greater than 0', abort: true })
  .refine((p) => p <= MAX_PRICE, {
    message: `Price must be at most ${MAX_PRICE.toLocaleString('en-US')}`,
    abort: true,
  })
  // Exact: a price that is not a whole number of cents is refused, never rounded.
  .refine((p) => Math.round(p * 100) / 100 === p, 'Price must have at most 2 decimals');

import { z } from 'zod';

/** Prices travel as dollars (12.5) and are stored as integer cents (1250). */
export const MAX_PRICE = 1_000_000;

export const toCents = (dollars: number) => Math.round(dollars * 100);
export const toDollars = (cents: number) => cents / 100;

export const priceSchema = z
  .number({ error: 'Price must be a number' })
  .refine(Number.isFinite, 'Price must be a number')
  .refine((p) => p > 0, 'Price must be greater than 0')
  .refine((p) => p <= MAX_PRICE, `Price must be at most ${MAX_PRICE.toLocaleString('en-US')}`)
  .refine((p) => Math.abs(p * 100 - Math.round(p * 100)) < 1e-6, 'Price must have at most 2 decimals');

import { baseConfigSchema, type ServiceContext } from '@ticketing/common';
import { z } from 'zod';

export const DEFAULT_EXPIRATION_WINDOW_SECONDS = 15 * 60;

export const configSchema = baseConfigSchema.extend({
  /** How long a new order holds its ticket before it expires unless paid. */
  EXPIRATION_WINDOW_SECONDS: z
    .string()
    // Digits only (no "1e3", " 5" or "0x10"), and bounded so the expiry stays a valid date.
    .regex(/^[1-9][0-9]{0,8}$/, 'must be a whole number of seconds from 1 to 999999999')
    .transform(Number)
    .default(DEFAULT_EXPIRATION_WINDOW_SECONDS),
});

/** The service's settings, read once at start (`loadConfig(configSchema)` in main.ts). */
export type Config = z.infer<typeof configSchema>;
/** The service context, with the orders service's own settings. */
export type OrdersService = ServiceContext<Config>;

import { baseConfigSchema, limitSetting, withLimitDefaults, type ServiceContext } from '@ticketing/common';
import { z } from 'zod';

export const DEFAULT_EXPIRATION_WINDOW_SECONDS = 15 * 60;

/**
 * Abuse limits (docs/deploy.md): unset, strict in production and loose elsewhere, so test
 * suites where one user places many orders pass.
 */
export const abuseLimitDefaults = {
  /** Orders one user may hold unpaid (created or awaiting payment) at once: more would let one account reserve every ticket. */
  MAX_LIVE_ORDERS_PER_USER: { production: 5, otherwise: 1_000 },
};

export const configSchema = baseConfigSchema
  .extend({
    MAX_LIVE_ORDERS_PER_USER: limitSetting,
    /** How long a new order holds its ticket before it expires unless paid. */
    EXPIRATION_WINDOW_SECONDS: z
      .string()
      // Digits only (no "1e3", " 5" or "0x10"), and bounded so the expiry stays a valid date.
      .regex(/^[1-9][0-9]{0,8}$/, 'must be a whole number of seconds from 1 to 999999999')
      .transform(Number)
      .default(DEFAULT_EXPIRATION_WINDOW_SECONDS),
  })
  .transform((c) => withLimitDefaults(c, abuseLimitDefaults));

/** The service's settings, read once at start (`loadConfig(configSchema)` in main.ts). */
export type Config = z.infer<typeof configSchema>;
/** The service context, with the orders service's own settings. */
export type OrdersService = ServiceContext<Config>;

import { baseConfigSchema, type ServiceContext } from '@ticketing/common';
import type { z } from 'zod';

export const configSchema = baseConfigSchema;

/** The service's settings, read once at start (`loadConfig(configSchema)` in main.ts). */
export type Config = z.infer<typeof configSchema>;
/** The service context, with the expiration service's own settings. */
export type ExpirationService = ServiceContext<Config>;

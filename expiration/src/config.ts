import { baseConfigSchema, loadConfig } from '@ticketing/common';

export const configSchema = baseConfigSchema;
export type Config = ReturnType<typeof loadExpirationConfig>;
export const loadExpirationConfig = () => loadConfig(configSchema);

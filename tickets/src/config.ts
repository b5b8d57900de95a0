import { baseConfigSchema, loadConfig } from '@ticketing/common';

export const configSchema = baseConfigSchema;
export type Config = ReturnType<typeof loadTicketsConfig>;
export const loadTicketsConfig = () => loadConfig(configSchema);

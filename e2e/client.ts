import type { RunningSystem } from './system.js';

export { ApiUser, type ApiResponse } from '@ticketing/testkit/api-user';

/** Each request goes straight to the service the ingress would route its path to. */
export const viaRoutes =
  (system: RunningSystem) =>
  (path: string): string =>
    `${system.url(system.serviceFor(path))}${path}`;

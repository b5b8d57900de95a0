import { fileURLToPath } from 'node:url';

/** The services of the system, in the order they are started and listed. */
export const SERVICES = ['auth', 'tickets', 'orders', 'expiration', 'payments'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** The repository's root, where each service has its folder (the same from src/ and from dist/). */
export const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

/** The services with an HTTP API for the outside (expiration has none). */
export type ApiService = Exclude<ServiceName, 'expiration'>;

/** Which service answers which API path, as the Kubernetes ingress routes it. */
export const API_ROUTES: readonly (readonly [prefix: string, service: ApiService])[] = [
  ['/api/users', 'auth'],
  ['/api/tickets', 'tickets'],
  ['/api/orders', 'orders'],
  ['/api/payments', 'payments'],
];

/** The service that answers `path`, or undefined for a path that is not an API's (the web client's). */
export function serviceForPath(path: string): ApiService | undefined {
  const match = API_ROUTES.find(([prefix]) => path === prefix || path.startsWith(`${prefix}/`) || path.startsWith(`${prefix}?`));
  return match?.[1];
}

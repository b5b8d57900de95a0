import type { ServiceName } from './services.js';

export interface ServiceWiring {
  port: number;
  /** Where it serves /metrics; default: any free port (for runs that never scrape it). */
  metricsPort?: number;
  databaseUrl: string;
  natsUrl: string;
  /** The service's own NATS nkey seed, when the server has users (natsCredentials); none for an open server. */
  natsSeed?: string;
  keys: { publicKeyPem: string; privateKeyPem: string };
}

/**
 * What a service needs to run, the same for `npm start` and the tests: its address and ports,
 * its own database, the bus, and the session keys. Only auth signs sessions, so only auth gets the
 * private key. `extra` (stream names, log level, test timings...) goes on top.
 */
export function serviceEnv(service: ServiceName, wiring: ServiceWiring, extra: Record<string, string> = {}): Record<string, string> {
  return {
    // On this machine only: `npm start` and the tests reach every process through the loopback.
    HOST: '127.0.0.1',
    PORT: String(wiring.port),
    METRICS_PORT: String(wiring.metricsPort ?? 0),
    DATABASE_URL: wiring.databaseUrl,
    NATS_URL: wiring.natsUrl,
    ...(wiring.natsSeed ? { NATS_NKEY_SEED: wiring.natsSeed } : {}),
    JWT_PUBLIC_KEY: wiring.keys.publicKeyPem,
    JWT_PRIVATE_KEY: service === 'auth' ? wiring.keys.privateKeyPem : '',
    ...extra,
  };
}

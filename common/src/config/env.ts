import { createPublicKey } from 'node:crypto';
import { busDefaults } from '@ticketing/contracts';
import express from 'express';
import { z } from 'zod';
import { publicKeyPems } from '../session/session-token.js';

/** Settings every service reads. Each service extends this schema with its own. */
export const baseConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number({ error: 'must be a port number' }).int().min(0).max(65535),
  /**
   * The address the API and metrics ports listen on. Default: every interface, as a container
   * needs; `npm start` sets 127.0.0.1 so nothing is reachable from other machines.
   */
  HOST: z.union([z.ipv4(), z.ipv6()], { error: 'must be an IP address, e.g. 127.0.0.1 or 0.0.0.0' }).optional(),
  /**
   * Prometheus metrics are served on this port only (GET /metrics), never on PORT: the API port
   * is what the ingress exposes, the metrics port only what a NetworkPolicy lets Prometheus reach.
   */
  METRICS_PORT: z.coerce.number({ error: 'must be a port number' }).int().min(0).max(65535).default(9464),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' }),
  NATS_URL: z.string().min(1).default(busDefaults.url),
  /** Stream name and subject prefix let several systems (or test runs) share one NATS server. */
  NATS_STREAM: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only')
    .default(busDefaults.stream),
  NATS_SUBJECT_PREFIX: z
    .string()
    .regex(/^([A-Za-z0-9_-]+\.)*$/, 'tokens each followed by a dot, e.g. "dev."')
    .default(busDefaults.subjectPrefix),
  /**
   * This service's own NATS identity: its nkey seed (`SU...`). The server knows only the public
   * key and lets each identity publish and consume only its own subjects (docs/design.md §4).
   * Unset: an anonymous connection, which only a server without authorization accepts.
   */
  NATS_NKEY_SEED: z.string().regex(/^SU[A-Z2-7]{56}$/, 'must be a NATS user nkey seed (SU...)').optional(),
  /** A CA certificate file (PEM): connect to NATS over TLS, trusting only the server certificates it signed. */
  NATS_TLS_CA: z.string().min(1).optional(),
  /**
   * The auth service's session-signing public keys (Ed25519, PEM); only auth has the private
   * one. Usually one key; during a key rotation the new and the old, one PEM after the other
   * (docs/deploy.md). Each token names its key by `kid`.
   */
  JWT_PUBLIC_KEY: z
    .string()
    .refine((s) => publicKeyPems(s).length > 0, { error: 'must hold one or more Ed25519 public keys in PEM (SPKI) form', abort: true })
    .refine((s) => publicKeyPems(s).every(isEd25519PublicKey), 'must hold only Ed25519 public keys in PEM (SPKI) form'),
  COOKIE_SECURE: z.stringbool().optional(),
  /**
   * Which peers may say, in X-Forwarded-For, whose request they forward: Express's `trust
   * proxy` list (`loopback`, `uniquelocal`, addresses, CIDRs; comma-separated) or `none`. The
   * client address the abuse limits count comes from it, so a peer not listed (a client talking
   * to the service directly) cannot choose its address. Default `loopback`: `npm start`'s front door.
   */
  TRUSTED_PROXIES: z.string().trim().default('loopback').refine(isTrustProxyList, 'must be "none" or a list of addresses, CIDRs, loopback, linklocal, uniquelocal'),
  /** How long the bus waits for a listener's ack before redelivering (to another replica). */
  EVENT_ACK_WAIT_SECONDS: z.coerce.number({ error: 'must be a number of seconds' }).int().min(1).max(3600).default(30),
  /**
   * A failing event is retried for as long as it fails (only poison is dead-lettered); one still
   * failing this long after it was published is logged at error level and counted as stuck.
   */
  EVENT_STUCK_AFTER_SECONDS: z.coerce.number({ error: 'must be a number of seconds' }).int().min(1).max(86_400).default(300),
  /**
   * The stream's size limit: keep it below its volume's size. When it is full, publishing waits
   * (events stay in the outboxes) until old events age out; nothing unread is discarded.
   */
  NATS_STREAM_MAX_BYTES: z.coerce.number({ error: 'must be a number of bytes' }).int().min(1 << 20).default(1 << 30),
  /**
   * Database connections per process. Each is a PostgreSQL server process: a one-machine
   * system (`npm start`) runs fine on a few, a replica beside a big server may want more.
   */
  DATABASE_POOL_SIZE: z.coerce.number({ error: 'must be a whole number' }).int().min(1).max(100).default(10),
  /**
   * How long start-up waits for PostgreSQL and NATS, so services can start in any order. Two
   * minutes, like the Kubernetes startup probe, after which the start fails (exit 1).
   */
  STARTUP_WAIT_SECONDS: z.coerce.number({ error: 'must be a number of seconds' }).int().min(0).max(3600).default(120),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** What `TRUSTED_PROXIES` gives Express's `trust proxy`: `none` trusts nobody. */
export const trustProxySetting = (list: string): string | false => (list === 'none' ? false : list);

function isTrustProxyList(list: string): boolean {
  try {
    express().set('trust proxy', trustProxySetting(list)); // compiles the list; throws on a bad entry
    return true;
  } catch {
    return false;
  }
}

function isEd25519PublicKey(pem: string): boolean {
  try {
    return createPublicKey(pem).asymmetricKeyType === 'ed25519';
  } catch {
    return false;
  }
}

export type BaseConfig = z.infer<typeof baseConfigSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Reads the environment once, at start-up. PEM keys may arrive with literal "\n". */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<S> {
  const cleaned = Object.fromEntries(
    Object.entries(env)
      .filter(([, v]) => v !== undefined && v !== '')
      .map(([k, v]) => [k, k.endsWith('_KEY') ? v!.replace(/\\n/g, '\n') : v]),
  );
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    );
  }
  return result.data;
}

import { createPrivateKey, createPublicKey } from 'node:crypto';
import { baseConfigSchema, limitSetting, withLimitDefaults, publicKeyPems, type ServiceContext } from '@ticketing/common';
import { z } from 'zod';

const isEd25519PrivateKey = (pem: string) => {
  try {
    return createPrivateKey(pem).asymmetricKeyType === 'ed25519';
  } catch {
    return false;
  }
};

/** The service verifies its own sessions with JWT_PUBLIC_KEY: a private key whose public half
 * is not listed there would sign users in whom `currentuser` then reports signed out, so
 * refuse to start instead. (During a rotation the list holds the old key too.) */
const keysArePair = (c: { JWT_PRIVATE_KEY: string; JWT_PUBLIC_KEY: string }) => {
  try {
    const derived = createPublicKey(c.JWT_PRIVATE_KEY).export({ type: 'spki', format: 'der' });
    return publicKeyPems(c.JWT_PUBLIC_KEY).some((pem) => derived.equals(createPublicKey(pem).export({ type: 'spki', format: 'der' })));
  } catch {
    return false;
  }
};

/**
 * Abuse limits (docs/deploy.md, src/abuse-limits.ts): unset, each is strict in production and
 * loose elsewhere, so whole-system tests signing up hundreds of users from one address pass.
 */
export const abuseLimitDefaults = {
  /** Sign-in requests from one address per minute, whatever their outcome. */
  SIGNIN_ATTEMPTS_PER_ADDRESS_PER_MINUTE: { production: 20, otherwise: 10_000 },
  /** Failed sign-ins from one address per day, over all emails (slows password spraying). */
  SIGNIN_FAILURES_PER_ADDRESS_PER_DAY: { production: 100, otherwise: 100_000 },
  /** Consecutive failed sign-ins for one email from one address before that pair is locked out. */
  SIGNIN_FAILURES_PER_EMAIL_AND_ADDRESS: { production: 10, otherwise: 10 },
  /** How long that lockout lasts, counted from the first of those failures. */
  SIGNIN_LOCKOUT_SECONDS: { production: 15 * 60, otherwise: 15 * 60 },
  /** Sign-ups from one address per hour. */
  SIGNUPS_PER_ADDRESS_PER_HOUR: { production: 10, otherwise: 100_000 },
  /** Password hashes (sign-ins and sign-ups, from everyone) per second: the CPU the hashing may take. */
  PASSWORD_HASHES_PER_SECOND: { production: 30, otherwise: 1_000 },
};

export const configSchema = baseConfigSchema
  .extend({
    ...Object.fromEntries(Object.keys(abuseLimitDefaults).map((k) => [k, limitSetting])) as Record<
      keyof typeof abuseLimitDefaults,
      typeof limitSetting
    >,
    /** Signs session JWTs. Only this service holds it; the others get the public key. */
    JWT_PRIVATE_KEY: z
      .string({ error: 'is required (a PEM PKCS8 Ed25519 private key)' })
      .includes('BEGIN PRIVATE KEY', { error: 'must be a PEM PKCS8 private key ("BEGIN PRIVATE KEY")', abort: true })
      .refine(isEd25519PrivateKey, 'must be an Ed25519 private key'),
  })
  .refine(keysArePair, {
    path: ['JWT_PRIVATE_KEY'],
    message: 'does not match any key in JWT_PUBLIC_KEY',
    when: (payload) => payload.issues.length === 0, // only worth saying once both keys are valid
  })
  .transform((c) => withLimitDefaults(c, abuseLimitDefaults));

/** The service's settings, read once at start (`loadConfig(configSchema)` in main.ts). */
export type Config = z.infer<typeof configSchema>;
/** The service context, with the auth service's own settings. */
export type AuthService = ServiceContext<Config>;

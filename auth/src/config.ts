import { createPrivateKey, createPublicKey } from 'node:crypto';
import { baseConfigSchema, publicKeyPems, type ServiceContext } from '@ticketing/common';
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

export const configSchema = baseConfigSchema
  .extend({
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
  });

/** The service's settings, read once at start (`loadConfig(configSchema)` in main.ts). */
export type Config = z.infer<typeof configSchema>;
/** The service context, with the auth service's own settings. */
export type AuthService = ServiceContext<Config>;

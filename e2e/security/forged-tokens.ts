import { createHash, createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { testKeys } from '@ticketing/testkit';

/**
 * Session tokens built by hand, byte by byte, so each forgery differs from a real session in
 * exactly one way. The running system's auth service signs with `testKeys`.
 */
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

export interface Victim {
  id: string;
  email: string;
}

/** The claims the auth service puts in a session for `user` (`undefined` leaves one out). */
export const sessionClaims = (user: Victim, overrides: Record<string, unknown> = {}) => ({
  email: user.email,
  sub: user.id,
  iss: 'ticketing-auth',
  aud: 'ticketing',
  iat: now(),
  exp: now() + 3600,
  jti: randomUUID(),
  ...overrides,
});

/** A key's id as auth writes it in `kid`: the RFC 7638 thumbprint of the Ed25519 public key. */
function thumbprint(key: KeyObject): string {
  const { x } = createPublicKey(key).export({ format: 'jwk' });
  return createHash('sha256').update(JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x })).digest('base64url');
}

const realKey = () => createPrivateKey(testKeys.privateKeyPem);

function eddsa(claims: object, key: KeyObject = realKey(), header: Record<string, unknown> = { kid: thumbprint(key) }): string {
  const input = `${b64url({ alg: 'EdDSA', typ: 'JWT', ...header })}.${b64url(claims)}`;
  return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`;
}

/** A token as the auth service would sign it: what every forgery below is compared with. */
export const genuineToken = (user: Victim) => eddsa(sessionClaims(user));

/**
 * Forgeries naming `victim`, by what is wrong with them. `attackerToken` is a real session of
 * another user, whose payload the tampered forgery swaps for the victim's, keeping its signature.
 */
export const forgeries: Record<string, (victim: Victim, attackerToken: string) => string> = {
  'alg: none (unsigned)': (victim) => `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(sessionClaims(victim))}.`,
  'HS256 with the public key PEM as the HMAC secret': (victim) => {
    const input = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(sessionClaims(victim))}`;
    return `${input}.${createHmac('sha256', testKeys.publicKeyPem).update(input).digest('base64url')}`;
  },
  'expired, signed with the real key': (victim) => eddsa(sessionClaims(victim, { iat: now() - 7200, exp: now() - 60 })),
  'signed by another Ed25519 key': (victim) => eddsa(sessionClaims(victim), generateKeyPairSync('ed25519').privateKey),
  'signed by another Ed25519 key, naming the real key': (victim) =>
    eddsa(sessionClaims(victim), generateKeyPairSync('ed25519').privateKey, { kid: thumbprint(realKey()) }),
  'signed with the real key but naming no key (no kid)': (victim) => eddsa(sessionClaims(victim), realKey(), {}),
  'signed with the real key but without a session id (no jti)': (victim) => eddsa(sessionClaims(victim, { jti: undefined })),
  "tampered: another user's real token carrying the victim's payload": (victim, attackerToken) => {
    const [header, , signature] = attackerToken.split('.');
    return `${header}.${b64url(sessionClaims(victim))}.${signature}`;
  },
};

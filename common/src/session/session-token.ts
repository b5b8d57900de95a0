import { createPublicKey, randomUUID } from 'node:crypto';
import {
  calculateJwkThumbprint,
  decodeProtectedHeader,
  importPKCS8,
  importSPKI,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JWK,
} from 'jose';

/**
 * The session JWT: signed by the auth service alone with its private key (EdDSA, Ed25519);
 * every service verifies it with the public keys it is given. Pinning the algorithm rejects
 * `alg: none` and HS256 tokens "signed" with a public key. Each token names its key (`kid`,
 * the key's RFC 7638 thumbprint), so keys rotate without signing anyone out, and carries a
 * `jti` (a UUID) by which auth revokes it (see revoked-sessions.ts).
 */
export const SESSION_COOKIE = 'session';
export const SESSION_TTL_SECONDS = 24 * 60 * 60;
const ALG = 'EdDSA';
const ISSUER = 'ticketing-auth';
const AUDIENCE = 'ticketing';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PUBLIC_KEY_PEM = /-----BEGIN PUBLIC KEY-----[^-]+-----END PUBLIC KEY-----/g;

export interface CurrentUser {
  id: string;
  email: string;
}

/** A valid token's user, and its session's id (the token's `jti`). */
export interface VerifiedSession {
  user: CurrentUser;
  sessionId: string;
}

export type SessionVerifier = (token: string) => Promise<VerifiedSession | null>;

/** True when the session with this id (a token's `jti`) was revoked. */
export type RevocationCheck = (sessionId: string) => Promise<boolean>;

/** The PEM public keys in a setting that may list several (during a key rotation). */
export function publicKeyPems(setting: string): string[] {
  return setting.match(PUBLIC_KEY_PEM) ?? [];
}

/** A key's id: the RFC 7638 thumbprint of its public half (from a public or a private PEM). */
export function keyIdOf(pem: string): Promise<string> {
  return calculateJwkThumbprint(createPublicKey(pem).export({ format: 'jwk' }) as JWK);
}

/**
 * Tokens already verified, so a signed-in user's next requests cost a map lookup instead of
 * a signature check (about 0.2 ms of CPU each). Only tokens that passed verification are
 * kept, each until its own expiry; the oldest go first once the map is full. Whether the
 * session was revoked is asked again once a remembered answer is older than
 * REVOCATION_RECHECK_MS: a revocation takes effect within that (plus the event's trip).
 */
const VERIFIED_CACHE_SIZE = 10_000;
export const REVOCATION_RECHECK_MS = 1_000;

interface Verified {
  session: VerifiedSession;
  expiresAtMs: number;
  checkedAtMs: number;
  revoked: boolean;
}

export async function createSessionVerifier(publicKeysSetting: string, isRevoked: RevocationCheck): Promise<SessionVerifier> {
  const keys = new Map<string, CryptoKey>();
  for (const pem of publicKeyPems(publicKeysSetting)) keys.set(await keyIdOf(pem), await importSPKI(pem, ALG));
  if (keys.size === 0) throw new Error('No public key to verify sessions with');
  const verified = new Map<string, Verified>();

  const verifySignature = async (token: string): Promise<Verified | null> => {
    try {
      const { kid } = decodeProtectedHeader(token);
      const key = typeof kid === 'string' ? keys.get(kid) : undefined;
      if (!key) return null; // no kid, or a key this service no longer (or never) trusted
      const { payload } = await jwtVerify(token, key, {
        algorithms: [ALG],
        issuer: ISSUER,
        audience: AUDIENCE,
        requiredClaims: ['sub', 'exp', 'iat', 'jti'],
      });
      const { sub, email, exp, jti } = payload;
      // Ids are UUIDs everywhere; anything else cannot name a user or a session (nor fit the columns).
      if (typeof sub !== 'string' || !UUID.test(sub) || typeof email !== 'string') return null;
      if (typeof jti !== 'string' || !UUID.test(jti)) return null;
      const session = { user: { id: sub.toLowerCase(), email }, sessionId: jti.toLowerCase() };
      return { session, expiresAtMs: exp! * 1000, checkedAtMs: 0, revoked: false };
    } catch {
      return null; // any token that fails verification counts as signed out
    }
  };

  return async (token) => {
    let entry = verified.get(token);
    if (entry && Date.now() >= entry.expiresAtMs) {
      verified.delete(token);
      return null; // expired since it was verified
    }
    if (!entry) {
      const fresh = await verifySignature(token);
      if (!fresh) return null;
      if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!);
      verified.set(token, fresh);
      entry = fresh;
    }
    // A revocation is final: once seen, the token is refused without asking again.
    if (!entry.revoked && Date.now() - entry.checkedAtMs >= REVOCATION_RECHECK_MS) {
      entry.revoked = await isRevoked(entry.session.sessionId);
      entry.checkedAtMs = Date.now();
    }
    return entry.revoked ? null : entry.session;
  };
}

/** A new session's token, and what auth records about it. */
export interface SignedSession {
  token: string;
  /** The token's `jti`. */
  id: string;
  expiresAt: Date;
}

export type SessionSigner = (user: CurrentUser) => Promise<SignedSession>;

export async function createSessionSigner(privateKeyPem: string): Promise<SessionSigner> {
  const key: CryptoKey = await importPKCS8(privateKeyPem, ALG);
  const kid = await keyIdOf(privateKeyPem);
  return async (user) => {
    const id = randomUUID();
    const expiresAt = new Date((Math.floor(Date.now() / 1000) + SESSION_TTL_SECONDS) * 1000);
    const token = await new SignJWT({ email: user.email })
      .setProtectedHeader({ alg: ALG, typ: 'JWT', kid })
      .setJti(id)
      .setSubject(user.id)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(expiresAt)
      .sign(key);
    return { token, id, expiresAt };
  };
}

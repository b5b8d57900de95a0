import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { decodeProtectedHeader, decodeJwt, SignJWT, importPKCS8 } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createSessionSigner,
  createSessionVerifier,
  keyIdOf,
  REVOCATION_RECHECK_MS,
  type RevocationCheck,
} from '../src/session/session-token.js';
import { testKeys } from '@ticketing/testkit';

const user = { id: '0b8a3c9e-1f0a-4b7e-9a53-2f1c3d4e5f60', email: 'ann@example.com' };
const notRevoked: RevocationCheck = async () => false;

function keyPair() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** A session token like the auth service's, with header fields and claims left out or changed. */
async function token(options: { seconds?: number; kid?: string | null; jti?: string | null } = {}) {
  const key = await importPKCS8(testKeys.privateKeyPem, 'EdDSA');
  const kid = options.kid === undefined ? await keyIdOf(testKeys.privateKeyPem) : options.kid;
  const jwt = new SignJWT({ email: user.email })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', ...(kid === null ? {} : { kid }) })
    .setSubject(user.id)
    .setIssuer('ticketing-auth')
    .setAudience('ticketing')
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + (options.seconds ?? 3600));
  const jti = options.jti === undefined ? randomUUID() : options.jti;
  if (jti !== null) jwt.setJti(jti);
  return jwt.sign(key);
}

const sign = async () => (await (await createSessionSigner(testKeys.privateKeyPem))(user)).token;

afterEach(() => {
  vi.useRealTimers();
});

describe('session tokens carry a key id and a session id', () => {
  it("when auth signs a session, then its header names the key by RFC 7638 thumbprint and its jti is the session's id", async () => {
    const signed = await (await createSessionSigner(testKeys.privateKeyPem))(user);

    expect(decodeProtectedHeader(signed.token)).toEqual({ alg: 'EdDSA', typ: 'JWT', kid: await keyIdOf(testKeys.publicKeyPem) });
    expect(decodeJwt(signed.token).jti).toBe(signed.id);
    expect(signed.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(signed.expiresAt.getTime()).toBe(decodeJwt(signed.token).exp! * 1000);
    const verify = await createSessionVerifier(testKeys.publicKeyPem, notRevoked);
    expect(await verify(signed.token)).toEqual({ user, sessionId: signed.id });
  });

  it.each([
    ['no kid', { kid: null }],
    ['a kid no listed key has', { kid: 'not-a-known-key' }],
    ['no jti', { jti: null }],
    ['a jti that is not a UUID', { jti: 'session-1' }],
  ])('when a token correctly signed by the listed key has %s, then it is refused', async (_case, options) => {
    const verify = await createSessionVerifier(testKeys.publicKeyPem, notRevoked);

    expect(await verify(await token())).not.toBeNull(); // the same token, whole, passes
    expect(await verify(await token(options))).toBeNull();
  });
});

describe('key rotation', () => {
  const next = keyPair();

  it('when both keys are listed, then tokens of the old key and of the new key are accepted, each by its kid', async () => {
    const verify = await createSessionVerifier(`${testKeys.publicKeyPem}${next.publicKeyPem}`, notRevoked);
    const oldToken = await sign();
    const newToken = (await (await createSessionSigner(next.privateKeyPem))(user)).token;

    expect(await verify(oldToken)).toMatchObject({ user });
    expect(await verify(newToken)).toMatchObject({ user });
  });

  it('when the old key has been dropped from the list, then its tokens are refused and the new key still works', async () => {
    const oldToken = await sign();
    const verify = await createSessionVerifier(next.publicKeyPem, notRevoked);
    const newToken = (await (await createSessionSigner(next.privateKeyPem))(user)).token;

    expect(await verify(oldToken)).toBeNull();
    expect(await verify(newToken)).toMatchObject({ user });
  });

  it("when a token is signed by the other key than its kid names, then it is refused", async () => {
    const verify = await createSessionVerifier(`${testKeys.publicKeyPem}${next.publicKeyPem}`, notRevoked);
    const key = await importPKCS8(next.privateKeyPem, 'EdDSA');
    const mislabelled = await new SignJWT({ email: user.email })
      .setProtectedHeader({ alg: 'EdDSA', kid: await keyIdOf(testKeys.publicKeyPem) })
      .setJti(randomUUID())
      .setSubject(user.id)
      .setIssuer('ticketing-auth')
      .setAudience('ticketing')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(key);

    expect(await verify(mislabelled)).toBeNull();
  });
});

describe('revoked sessions', () => {
  it('when the session is revoked after the token was verified (and remembered), then it is refused once the recheck time has passed', async () => {
    const revoked = new Set<string>();
    const asked: string[] = [];
    const verify = await createSessionVerifier(testKeys.publicKeyPem, async (id) => {
      asked.push(id);
      return revoked.has(id);
    });
    const signed = await (await createSessionSigner(testKeys.privateKeyPem))(user);
    expect(await verify(signed.token)).not.toBeNull();
    expect(await verify(signed.token)).not.toBeNull(); // within the recheck time: remembered, not asked again
    expect(asked).toEqual([signed.id]);

    revoked.add(signed.id);
    vi.useFakeTimers({ now: Date.now() + REVOCATION_RECHECK_MS, toFake: ['Date'] });

    expect(await verify(signed.token)).toBeNull();
    expect(await verify(signed.token)).toBeNull();
    expect(asked).toEqual([signed.id, signed.id]); // a revocation is final: not asked a third time
  });

  it("when one session is revoked, then another session of the same user is still accepted", async () => {
    const signer = await createSessionSigner(testKeys.privateKeyPem);
    const [a, b] = [await signer(user), await signer(user)];
    const verify = await createSessionVerifier(testKeys.publicKeyPem, async (id) => id === a.id);

    expect(await verify(a.token)).toBeNull();
    expect(await verify(b.token)).toEqual({ user, sessionId: b.id });
  });

  it('when the revocation check fails (database down), then the request fails rather than passing as signed in', async () => {
    const verify = await createSessionVerifier(testKeys.publicKeyPem, async () => {
      throw new Error('database unavailable');
    });

    await expect(verify(await sign())).rejects.toThrow('database unavailable');
  });
});

describe('session verifier (verified tokens are remembered)', () => {
  it('when the same token comes again, then it names the same user', async () => {
    const verify = await createSessionVerifier(testKeys.publicKeyPem, notRevoked);
    const signed = await sign();
    expect(await verify(signed)).toMatchObject({ user });
    expect(await verify(signed)).toMatchObject({ user });
  });

  it('when a remembered token has expired since, then it counts as signed out', async () => {
    const verify = await createSessionVerifier(testKeys.publicKeyPem, notRevoked);
    const expiring = await token({ seconds: 60 });
    expect(await verify(expiring)).toMatchObject({ user });
    vi.useFakeTimers({ now: Date.now() + 61_000, toFake: ['Date'] });
    expect(await verify(expiring)).toBeNull();
    expect(await verify(expiring)).toBeNull();
  });

  it('when a token differs from a remembered one by its signature, then it is still refused', async () => {
    const verify = await createSessionVerifier(testKeys.publicKeyPem, notRevoked);
    const signed = await sign();
    expect(await verify(signed)).toMatchObject({ user });
    const [header, payload, signature] = signed.split('.');
    const forged = `${header}.${payload}.${signature!.slice(0, -2)}${signature!.endsWith('AA') ? 'BA' : 'AA'}`;
    expect(await verify(forged)).toBeNull();
  });

  it('when a token was refused, then it is refused again (only verified tokens are remembered)', async () => {
    const verify = await createSessionVerifier(testKeys.publicKeyPem, notRevoked);
    const expired = await token({ seconds: -10 });
    expect(await verify(expired)).toBeNull();
    expect(await verify(expired)).toBeNull();
  });
});

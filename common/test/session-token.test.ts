import { SignJWT, importPKCS8 } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSessionSigner, createSessionVerifier } from '../src/session/session-token.js';
import { testKeys } from '@ticketing/testkit';

const user = { id: '0b8a3c9e-1f0a-4b7e-9a53-2f1c3d4e5f60', email: 'ann@example.com' };

/** A session token like the auth service's, but expiring after `seconds`. */
async function tokenExpiringIn(seconds: number) {
  const key = await importPKCS8(testKeys.privateKeyPem, 'EdDSA');
  return new SignJWT({ email: user.email })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
    .setSubject(user.id)
    .setIssuer('ticketing-auth')
    .setAudience('ticketing')
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + seconds)
    .sign(key);
}

afterEach(() => {
  vi.useRealTimers();
});

describe('session verifier (verified tokens are remembered)', () => {
  it('when the same token comes again, then it names the same user', async () => {
    const verify = await createSessionVerifier(testKeys.publicKeyPem);
    const token = await (await createSessionSigner(testKeys.privateKeyPem))(user);
    expect(await verify(token)).toEqual(user);
    expect(await verify(token)).toEqual(user);
  });

  it('when a remembered token has expired since, then it counts as signed out', async () => {
    const verify = await createSessionVerifier(testKeys.publicKeyPem);
    const token = await tokenExpiringIn(60);
    expect(await verify(token)).toEqual(user);
    vi.useFakeTimers({ now: Date.now() + 61_000, toFake: ['Date'] });
    expect(await verify(token)).toBeNull();
    expect(await verify(token)).toBeNull();
  });

  it('when a token differs from a remembered one by its signature, then it is still refused', async () => {
    const verify = await createSessionVerifier(testKeys.publicKeyPem);
    const token = await (await createSessionSigner(testKeys.privateKeyPem))(user);
    expect(await verify(token)).toEqual(user);
    const [header, payload, signature] = token.split('.');
    const forged = `${header}.${payload}.${signature!.slice(0, -2)}${signature!.endsWith('AA') ? 'BA' : 'AA'}`;
    expect(await verify(forged)).toBeNull();
  });

  it('when a token was refused, then it is refused again (only verified tokens are remembered)', async () => {
    const verify = await createSessionVerifier(testKeys.publicKeyPem);
    const expired = await tokenExpiringIn(-10);
    expect(await verify(expired)).toBeNull();
    expect(await verify(expired)).toBeNull();
  });
});

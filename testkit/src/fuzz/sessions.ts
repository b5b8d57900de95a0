import { generateKeyPairSync, randomUUID } from 'node:crypto';
import fc, { type Arbitrary } from 'fast-check';
import { importPKCS8, SignJWT } from 'jose';
import { keyIdOf, SESSION_COOKIE, type CurrentUser } from '@ticketing/common';
import { sessionCookie, testKeys } from '../users.js';
import { headerText } from './requests.js';

/** Session tokens that must all count as signed out: expired, foreign key, `alg: none`, wrong claims, mangled. */
export async function invalidSessionCookies(user: CurrentUser): Promise<string[]> {
  const ours = await importPKCS8(testKeys.privateKeyPem, 'EdDSA');
  const foreign = generateKeyPairSync('ed25519').privateKey;
  const now = Math.floor(Date.now() / 1000);
  const kid = await keyIdOf(testKeys.privateKeyPem); // each token below is wrong in one way only, not by lacking kid or jti
  const token = (claims: Record<string, unknown>, options: { key?: typeof ours | typeof foreign; exp?: number; iat?: number; sub?: string; iss?: string; aud?: string } = {}) =>
    new SignJWT({ jti: randomUUID(), ...claims })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', kid })
      .setSubject(options.sub ?? user.id)
      .setIssuer(options.iss ?? 'ticketing-auth')
      .setAudience(options.aud ?? 'ticketing')
      .setIssuedAt(options.iat ?? now - 60)
      .setExpirationTime(options.exp ?? now + 3_600)
      .sign(options.key ?? ours);
  const valid = (await sessionCookie(user)).slice(SESSION_COOKIE.length + 1);
  const [header, payload] = valid.split('.');
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const tokens = [
    await token({ email: user.email }, { exp: now - 10, iat: now - 100 }), // expired
    await token({ email: user.email }, { key: foreign }),
    await token({ email: user.email }, { iss: 'someone-else' }),
    await token({ email: user.email }, { aud: 'elsewhere' }),
    await token({ email: user.email }, { sub: 'admin' }),
    await token({ email: 42 }),
    await token({}),
    await token({ email: user.email, jti: 'not-a-uuid' }),
    `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`,
    `${b64({ alg: 'HS256', typ: 'JWT' })}.${payload}.${Buffer.from('sig').toString('base64url')}`,
    `${header}.${payload}.`,
    `${header}.${payload}.${'A'.repeat(86)}`,
    `${valid}x`,
    valid.split('.').reverse().join('.'),
  ];
  return [
    ...tokens.map((t) => `${SESSION_COOKIE}=${t}`),
    `${SESSION_COOKIE}=`,
    `${SESSION_COOKIE}=garbage`,
    `${SESSION_COOKIE}=%E0%A4%A`,
    `${SESSION_COOKIE}="${valid}`,
    `${SESSION_COOKIE}=j:{"id":"${user.id}"}`,
    `${SESSION_COOKIE}=s:${valid}`,
    `${SESSION_COOKIE}=${'a'.repeat(8_000)}`,
    `${SESSION_COOKIE}=garbage; ${SESSION_COOKIE}=${valid}`,
    `SESSION=${valid}`,
    '=;;; ;=',
  ];
}

/**
 * A Cookie header, or none: mostly one of `valid` (weighted first to last as given), else a
 * token that must count as signed out, else random text.
 */
export function cookieHeader(valid: string[], invalid: string[]): Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...valid) },
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: fc.constantFrom(...invalid) },
    { weight: 1, arbitrary: headerText },
  );
}

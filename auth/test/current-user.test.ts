import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { keyIdOf } from '@ticketing/common';
import { testKeys } from '@ticketing/testkit';
import { importPKCS8, SignJWT, UnsecuredJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionCookieOf, signUp, startAuth, type Auth } from './setup.js';

let t: Auth;
let user: { id: string; email: string };
let token: string;
beforeAll(async () => {
  t = await startAuth();
  const res = await signUp(t);
  user = res.body;
  token = sessionCookieOf(res)!.value;
});
afterAll(() => t.close());

const currentUserWith = (cookie?: string) => {
  const req = t.http.get('/api/users/currentuser');
  return cookie === undefined ? req : req.set('Cookie', cookie);
};

/** The claims a real session carries, so each forgery below differs in one way only. */
const claims = (): JWTPayload => ({ email: user.email });
const now = () => Math.floor(Date.now() / 1000);
const signed = async (key: Parameters<SignJWT['sign']>[0], alg: string, edit?: (jwt: SignJWT) => SignJWT) => {
  const jwt = new SignJWT(claims())
    .setProtectedHeader({ alg, typ: 'JWT', kid: await keyIdOf(testKeys.publicKeyPem) })
    .setJti(randomUUID())
    .setSubject(user.id)
    .setIssuer('ticketing-auth')
    .setAudience('ticketing')
    .setIssuedAt()
    .setExpirationTime('1h');
  return (edit ? edit(jwt) : jwt).sign(key);
};
const realKey = () => importPKCS8(testKeys.privateKeyPem, 'EdDSA');

describe('GET /api/users/currentuser', () => {
  it('when there is no cookie, then 200 {currentUser: null}', async () => {
    const res = await currentUserWith();

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ currentUser: null });
  });

  it('when the session cookie is valid, then 200 with the user', async () => {
    const res = await currentUserWith(`session=${token}`);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ currentUser: { id: user.id, email: user.email } });
  });

  it('when a control token signed with the real key the same way is sent, then it is accepted (the forgeries below differ only in what they forge)', async () => {
    const control = await signed(await realKey(), 'EdDSA');

    const res = await currentUserWith(`session=${control}`);

    expect(res.body).toEqual({ currentUser: { id: user.id, email: user.email } });
  });

  it.each<[string, () => Promise<string>]>([
    [
      'an unsigned token (alg: none)',
      async () =>
        new UnsecuredJWT(claims())
          .setSubject(user.id)
          .setIssuer('ticketing-auth')
          .setAudience('ticketing')
          .setIssuedAt()
          .setExpirationTime('1h')
          .encode(),
    ],
    ['an HS256 token using the public key PEM as the HMAC secret', async () => signed(new TextEncoder().encode(testKeys.publicKeyPem), 'HS256')],
    ['an expired token signed with the real key', async () => signed(await realKey(), 'EdDSA', (j) => j.setIssuedAt(now() - 7200).setExpirationTime(now() - 3600))],
    ['a token signed by a different Ed25519 key', async () => signed(generateKeyPairSync('ed25519').privateKey, 'EdDSA')],
    [
      'a real token whose payload was edited to another email',
      async () => {
        const [header, payload, signature] = token.split('.');
        const edited = { ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), email: 'admin@example.com' };
        return [header, Buffer.from(JSON.stringify(edited)).toString('base64url'), signature].join('.');
      },
    ],
    ['a token from the real key for another issuer', async () => signed(await realKey(), 'EdDSA', (j) => j.setIssuer('someone-else'))],
    ['a token from the real key for another audience', async () => signed(await realKey(), 'EdDSA', (j) => j.setAudience('elsewhere'))],
    ['garbage', async () => 'not-a-jwt'],
    ['three garbage segments', async () => 'aaa.bbb.ccc'],
    ['an empty value', async () => ''],
  ])('when the cookie holds %s, then 200 {currentUser: null}', async (_case, forge) => {
    const forged = await forge();

    const res = await currentUserWith(`session=${forged}`);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ currentUser: null });
  });
});

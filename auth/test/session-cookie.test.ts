import { createSessionVerifier, keyIdOf, SESSION_TTL_SECONDS } from '@ticketing/common';
import { testKeys } from '@ticketing/testkit';
import { decodeProtectedHeader, importSPKI, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anEmail, sessionCookieOf, signIn, signUp, startAuth, type Auth } from './setup.js';

let t: Auth;
beforeAll(async () => {
  t = await startAuth();
});
afterAll(() => t.close());

const signupAndSignin = async (service: Auth) => {
  const email = anEmail();
  return [await signUp(service, email), await signIn(service, email)];
};

describe('the session cookie', () => {
  it('when signing up or in (not in production), then the cookie is HttpOnly, SameSite=Lax, Path=/, Max-Age=86400 and not Secure', async () => {
    const responses = await signupAndSignin(t);

    for (const res of responses) {
      const cookie = sessionCookieOf(res)!;
      expect(cookie.attributes).toEqual(
        expect.arrayContaining(['HttpOnly', 'SameSite=Lax', 'Path=/', `Max-Age=${SESSION_TTL_SECONDS}`]),
      );
      expect(SESSION_TTL_SECONDS).toBe(86400);
      expect(cookie.attributes).not.toContain('Secure');
    }
  });

  it('when the JWT in it is checked with the public key, then it verifies as EdDSA for the user and expires in 24 hours', async () => {
    const email = anEmail();
    const res = await signUp(t, email);
    const token = sessionCookieOf(res)!.value;

    const { payload } = await jwtVerify(token, await importSPKI(testKeys.publicKeyPem, 'EdDSA'), {
      algorithms: ['EdDSA'],
    });

    expect(decodeProtectedHeader(token)).toEqual({ alg: 'EdDSA', typ: 'JWT', kid: await keyIdOf(testKeys.publicKeyPem) });
    expect(payload).toMatchObject({ sub: res.body.id, email, iss: 'ticketing-auth', aud: 'ticketing' });
    expect(payload.exp! - payload.iat!).toBe(24 * 60 * 60);
    expect(Math.abs(payload.iat! - Date.now() / 1000)).toBeLessThan(60);
    const verified = await (await createSessionVerifier(testKeys.publicKeyPem, async () => false))(token);
    expect(verified).toEqual({ user: { id: res.body.id, email }, sessionId: payload.jti });
  });

  it('when the JWT is read, then it holds no password or hash', async () => {
    const res = await signUp(t);
    const [, payload] = sessionCookieOf(res)!.value.split('.');

    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());

    expect(Object.keys(claims).sort()).toEqual(['aud', 'email', 'exp', 'iat', 'iss', 'jti', 'sub']);
  });
});

describe.each([
  ['NODE_ENV=production', { NODE_ENV: 'production' }],
  ['COOKIE_SECURE=true', { COOKIE_SECURE: 'true' }],
])('the session cookie with %s', (_case, env) => {
  let secure: Auth;
  beforeAll(async () => {
    secure = await startAuth(env);
  });
  afterAll(() => secure.close());

  it('when signing up, in and out, then every session cookie is Secure', async () => {
    const responses = [...(await signupAndSignin(secure)), await secure.http.post('/api/users/signout')];

    for (const res of responses) {
      expect(sessionCookieOf(res)!.attributes).toEqual(expect.arrayContaining(['Secure', 'HttpOnly', 'SameSite=Lax']));
    }
  });
});

describe('the session cookie with COOKIE_SECURE=false outside production', () => {
  let plain: Auth;
  beforeAll(async () => {
    plain = await startAuth({ COOKIE_SECURE: 'false' });
  });
  afterAll(() => plain.close());

  it('when signing up, then the cookie is not Secure', async () => {
    const res = await signUp(plain);

    expect(sessionCookieOf(res)!.attributes).not.toContain('Secure');
  });
});

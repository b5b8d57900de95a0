import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { ConfigError, keyIdOf, loadConfig } from '@ticketing/common';
import { sessionCookie, testKeys } from '@ticketing/testkit';
import { decodeProtectedHeader } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema } from '../src/config.js';
import { sessionCookieOf, signUp, startAuth, type Auth } from './setup.js';

/**
 * Rotating the session-signing key as docs/deploy.md says: list the new public key beside the
 * old, switch auth to the new private key, drop the old public key after the token lifetime.
 * `testKeys` is the old pair (what other tests' tokens are signed with).
 */
const next = (() => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
})();

const running: Auth[] = [];
async function auth(env: Record<string, string>, replicaOf?: Auth) {
  const t = await startAuth(env, replicaOf);
  running.push(t);
  return t;
}
afterEach(async () => {
  for (const t of running.reverse()) await t.close();
  running.length = 0;
});

const someone = () => ({ id: randomUUID(), email: `old-${randomUUID().slice(0, 8)}@example.com` });
const me = async (t: Auth, cookie: string) => (await t.http.get('/api/users/currentuser').set('Cookie', cookie)).body.currentUser;

describe('session key rotation', () => {
  it('when auth signs with the new key while the old public key is still listed, then tokens of both keys are accepted; once the old key is dropped, its tokens are refused and the new ones still pass', async () => {
    const oldUser = someone();
    const oldCookie = await sessionCookie(oldUser); // issued before the switch

    const during = await auth({ JWT_PRIVATE_KEY: next.privateKeyPem, JWT_PUBLIC_KEY: `${next.publicKeyPem}${testKeys.publicKeyPem}` });
    const signedUp = await signUp(during);
    const newToken = sessionCookieOf(signedUp)!.value;

    expect(decodeProtectedHeader(newToken).kid).toBe(await keyIdOf(next.publicKeyPem));
    expect(await me(during, oldCookie)).toEqual(oldUser);
    expect(await me(during, `session=${newToken}`)).toEqual(signedUp.body);

    const after = await auth({ JWT_PRIVATE_KEY: next.privateKeyPem, JWT_PUBLIC_KEY: next.publicKeyPem }, during);

    expect(await me(after, oldCookie)).toBeNull();
    expect(await me(after, `session=${newToken}`)).toEqual(signedUp.body);
  });

  it('when the private key is not among the listed public keys, or the list holds something else, then auth refuses to start, naming the setting', () => {
    const base = { PORT: '3001', DATABASE_URL: 'postgres://localhost/auth' };
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(configSchema, { ...base, ...env });
        return [];
      } catch (err) {
        return (err as ConfigError).problems;
      }
    };

    expect(problems({ JWT_PRIVATE_KEY: next.privateKeyPem, JWT_PUBLIC_KEY: testKeys.publicKeyPem })).toEqual([
      'JWT_PRIVATE_KEY: does not match any key in JWT_PUBLIC_KEY',
    ]);
    expect(problems({ JWT_PRIVATE_KEY: next.privateKeyPem, JWT_PUBLIC_KEY: 'not a key' })).toEqual([
      'JWT_PUBLIC_KEY: must hold one or more Ed25519 public keys in PEM (SPKI) form',
    ]);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(problems({ JWT_PRIVATE_KEY: next.privateKeyPem, JWT_PUBLIC_KEY: `${next.publicKeyPem}${rsa}` })).toEqual([
      'JWT_PUBLIC_KEY: must hold only Ed25519 public keys in PEM (SPKI) form',
    ]);
    expect(problems({ JWT_PRIVATE_KEY: next.privateKeyPem, JWT_PUBLIC_KEY: `${testKeys.publicKeyPem}${next.publicKeyPem}` })).toEqual([]);
  });
});

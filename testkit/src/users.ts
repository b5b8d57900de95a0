import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createSessionSigner, SESSION_COOKIE, type CurrentUser } from '@ticketing/common';

/** One Ed25519 key pair per test process, standing in for the auth service's keys. */
export const testKeys = (() => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
})();

/** A signed-in user for route tests: their id, email and the Cookie header that proves it. */
export async function aUser() {
  const user = { id: randomUUID(), email: `user-${randomUUID().slice(0, 8)}@example.com` };
  return { ...user, cookie: await sessionCookie(user) };
}

/** A `Cookie` header value holding a valid session for `user`. */
export async function sessionCookie(user: CurrentUser): Promise<string> {
  const sign = await createSessionSigner(testKeys.privateKeyPem);
  return `${SESSION_COOKIE}=${(await sign(user)).token}`;
}

import { keyIdOf } from '@ticketing/common';
import { sessionCookie, testKeys } from '@ticketing/testkit';
import { importPKCS8, SignJWT, type JWTPayload } from 'jose';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectErrors, publishedEvents } from './helpers.js';
import { aUser, startTickets } from './setup.js';

let t: Awaited<ReturnType<typeof startTickets>>;
beforeAll(async () => {
  t = await startTickets();
});
afterAll(() => t.close());

const user = { id: randomUUID(), email: 'victim@example.com' };
const now = () => Math.floor(Date.now() / 1000);
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The claims the auth service puts in a session, with `overrides` (undefined removes a claim). */
function claims(overrides: Record<string, unknown> = {}): JWTPayload {
  const all: Record<string, unknown> = {
    sub: user.id,
    email: user.email,
    iss: 'ticketing-auth',
    aud: 'ticketing',
    iat: now(),
    exp: now() + 3600,
    jti: randomUUID(),
    ...overrides,
  };
  return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined)) as JWTPayload;
}

/**
 * An EdDSA token signed with a PKCS#8 PEM private key (the auth service's, unless told), its
 * header naming the key by `kid` as auth's does (`kid: null` leaves it out).
 */
async function signEdDSA(payload: JWTPayload, privateKeyPem = testKeys.privateKeyPem, kid?: string | null) {
  const key = await importPKCS8(privateKeyPem, 'EdDSA');
  const keyId = kid === undefined ? await keyIdOf(privateKeyPem) : kid;
  return new SignJWT(payload).setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', ...(keyId === null ? {} : { kid: keyId }) }).sign(key);
}

const otherKeyPem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

/** POST /api/tickets with `Cookie: <cookie>`. */
function createWith(cookie: string) {
  return t.http.post('/api/tickets').set('Cookie', cookie).send({ title: 'Session check', price: 10 });
}

/** What a refused request must leave alone: the listing and the ticket.created events. */
async function observableState() {
  const list = await t.http.get('/api/tickets?limit=200');
  expect(list.status).toBe(200);
  return { tickets: list.body as unknown[], created: await publishedEvents(t, 'ticket.created') };
}

describe('sessions on POST /api/tickets', () => {
  it('when the cookie comes from sessionCookie, then 201 for that user', async () => {
    const someone = await aUser();

    const res = await createWith(someone.cookie);

    expect(res.status).toBe(201);
    expect(res.body.userId).toBe(someone.id);
  });

  it('when a token is built here with every claim the auth service sets and its key, then 201 (so the forgeries below fail for their flaw alone)', async () => {
    const token = await signEdDSA(claims());

    const res = await createWith(`session=${token}`);

    expect(res.status).toBe(201);
    expect(res.body.userId).toBe(user.id);
  });

  const forgeries: [string, () => Promise<string>][] = [
    ['an alg:none token', async () => `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims())}.`],
    [
      'an HS256 token using the public key PEM as the HMAC secret',
      async () =>
        new SignJWT(claims())
          .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
          .sign(new TextEncoder().encode(testKeys.publicKeyPem)),
    ],
    ['an expired token signed with the real key', () => signEdDSA(claims({ iat: now() - 7200, exp: now() - 60 }))],
    ['a token signed with another Ed25519 key', () => signEdDSA(claims(), otherKeyPem)],
    ['a token signed with another Ed25519 key but naming the real key', async () => signEdDSA(claims(), otherKeyPem, await keyIdOf(testKeys.publicKeyPem))],
    ['a token without a key id (kid)', () => signEdDSA(claims(), testKeys.privateKeyPem, null)],
    ['a token without a session id (jti)', () => signEdDSA(claims({ jti: undefined }))],
    ['a token whose session id is not a UUID', () => signEdDSA(claims({ jti: 'session-1' }))],
    [
      'a real token whose payload was swapped for another user',
      async () => {
        const [header, , signature] = (await signEdDSA(claims())).split('.');
        return `${header}.${b64url(claims({ sub: randomUUID(), email: 'attacker@example.com' }))}.${signature}`;
      },
    ],
    [
      'a real token with its signature altered',
      async () => {
        const token = await signEdDSA(claims());
        const last = token.at(-2) === 'A' ? 'B' : 'A'; // the second-to-last char carries real signature bits
        return `${token.slice(0, -2)}${last}${token.at(-1)}`;
      },
    ],
    ['a real token without its signature', async () => `${(await signEdDSA(claims())).split('.').slice(0, 2).join('.')}.`],
    ['a token from another issuer', () => signEdDSA(claims({ iss: 'someone-else' }))],
    ['a token for another audience', () => signEdDSA(claims({ aud: 'another-app' }))],
    ['a token without an expiry', () => signEdDSA(claims({ exp: undefined }))],
    ['a token without an issued-at time', () => signEdDSA(claims({ iat: undefined }))],
    ['a token without a subject', () => signEdDSA(claims({ sub: undefined }))],
    ['a token without an email', () => signEdDSA(claims({ email: undefined }))],
    ['a token not valid before tomorrow', () => signEdDSA(claims({ nbf: now() + 86_400 }))],
    ['garbage', async () => 'garbage'],
    ['three dots of garbage', async () => 'a.b.c'],
  ];

  it.each(forgeries)('when the session cookie holds %s, then 401 and nothing is created', async (_, forge) => {
    const cookie = `session=${await forge()}`;
    const before = await observableState();

    const res = await createWith(cookie);

    expectErrors(res, 401, [undefined]);
    expect(await observableState()).toEqual(before);
  });

  it('when a valid token sits in a cookie with another name, then 401', async () => {
    const token = await signEdDSA(claims());
    const before = await observableState();

    const res = await createWith(`token=${token}`);

    expectErrors(res, 401, [undefined]);
    expect(await observableState()).toEqual(before);
  });

  it('when the session cookie is a cookie-parser JSON cookie (j:...), then 401', async () => {
    const before = await observableState();

    const res = await createWith(`session=${encodeURIComponent(`j:${JSON.stringify({ id: user.id, email: user.email })}`)}`);

    expectErrors(res, 401, [undefined]);
    expect(await observableState()).toEqual(before);
  });

  it('when the token is sent as a Bearer header instead of the cookie, then 401', async () => {
    const token = await signEdDSA(claims());
    const before = await observableState();

    const res = await t.http
      .post('/api/tickets')
      .set('Authorization', `Bearer ${token}`)
      .send({ title: 'Session check', price: 10 });

    expectErrors(res, 401, [undefined]);
    expect(await observableState()).toEqual(before);
  });
});

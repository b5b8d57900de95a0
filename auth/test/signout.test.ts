import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anEmail, PASSWORD, sessionCookieOf, signUp, startAuth, type Auth } from './setup.js';

let t: Auth;
beforeAll(async () => {
  t = await startAuth();
});
afterAll(() => t.close());

describe('POST /api/users/signout', () => {
  it('when signed in, then 200 {} and the cookie is cleared with the same attributes and an expiry in the past', async () => {
    const signedUp = await signUp(t);

    const res = await t.http.post('/api/users/signout').set('Cookie', `session=${sessionCookieOf(signedUp)!.value}`);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({});
    const cleared = sessionCookieOf(res)!;
    expect(cleared.value).toBe('');
    expect(cleared.attributes).toEqual(
      expect.arrayContaining(['Path=/', 'HttpOnly', 'SameSite=Lax', 'Expires=Thu, 01 Jan 1970 00:00:00 GMT']),
    );
    expect(cleared.attributes.some((a) => a.startsWith('Max-Age'))).toBe(false);
  });

  it('when not signed in, then it still answers 200 {}', async () => {
    const res = await t.http.post('/api/users/signout');

    expect(res.status).toBe(200);
    expect(res.body).toEqual({});
  });

  it('when a browser-like client signs up, then out, then currentuser goes from the user to null', async () => {
    const browser = supertest.agent(t.app);
    const email = anEmail();
    await browser.post('/api/users/signup').send({ email, password: PASSWORD });
    const before = await browser.get('/api/users/currentuser');

    await browser.post('/api/users/signout');
    const after = await browser.get('/api/users/currentuser');

    expect(before.body.currentUser).toMatchObject({ email });
    expect(after.body).toEqual({ currentUser: null });
  });
});

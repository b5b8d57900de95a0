import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anEmail, countFailures, PASSWORD, sessionCookieOf, signIn, signUp, startAuth, type Auth } from './setup.js';

let t: Auth;
beforeAll(async () => {
  t = await startAuth();
});
afterAll(() => t.close());

const INVALID = { errors: [{ message: 'Invalid email or password' }] };

describe('POST /api/users/signin', () => {
  it('when the password is right, then 200 with {id, email} of the account and a session cookie', async () => {
    const email = anEmail();
    const signedUp = await signUp(t, email);

    const res = await signIn(t, email);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: signedUp.body.id, email });
    const cookie = sessionCookieOf(res)!;
    const me = await t.http.get('/api/users/currentuser').set('Cookie', `session=${cookie.value}`);
    expect(me.body).toEqual({ currentUser: { id: signedUp.body.id, email } });
  });

  it('when the email is typed with spaces and capitals, then it still finds the account', async () => {
    const email = anEmail();
    await signUp(t, email);

    const res = await signIn(t, `  ${email.toUpperCase()} `);

    expect(res.status).toBe(200);
    expect(res.body.email).toBe(email);
  });

  it('when the password is wrong, then 400 "Invalid email or password", no cookie, and one failure recorded', async () => {
    const email = anEmail();
    await signUp(t, email);

    const res = await signIn(t, email, 'wrong password');

    expect(res.status).toBe(400);
    expect(res.body).toEqual(INVALID);
    expect(sessionCookieOf(res)).toBeUndefined();
    expect(await countFailures(t, email)).toBe(1);
  });

  it('when the email is unknown, then exactly the same answer as a wrong password', async () => {
    const known = anEmail();
    await signUp(t, known);

    const wrongPassword = await signIn(t, known, 'wrong password');
    const unknownEmail = await signIn(t, anEmail(), 'wrong password');

    expect(unknownEmail.status).toBe(wrongPassword.status);
    expect(unknownEmail.body).toEqual(wrongPassword.body);
    expect(unknownEmail.body).toEqual(INVALID);
    expect(sessionCookieOf(unknownEmail)).toBeUndefined();
  });

  it('when it succeeds after failures, then the failures are cleared', async () => {
    const email = anEmail();
    await signUp(t, email);
    await signIn(t, email, 'wrong password');
    await signIn(t, email, 'wrong password');

    const res = await signIn(t, email, PASSWORD);

    expect(res.status).toBe(200);
    expect(await countFailures(t, email)).toBe(0);
  });

  it('when the password differs only in case, then it is refused', async () => {
    const email = anEmail();
    await signUp(t, email, 'Case Sensitive');

    const res = await signIn(t, email, 'case sensitive');

    expect(res.status).toBe(400);
    expect(res.body).toEqual(INVALID);
  });

  it('when the password is too short to be anyone\'s, then 400 on the password field and nothing is counted', async () => {
    const email = anEmail();
    await signUp(t, email);

    const res = await signIn(t, email, 'short');

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message: 'Password must be at least 8 characters', field: 'password' }] });
    expect(await countFailures(t, email)).toBe(0);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { users } from '../src/db/schema.js';
import { anEmail, countUsers, PASSWORD, sessionCookieOf, signIn, signUp, startAuth, type Auth } from './setup.js';

let t: Auth;
beforeAll(async () => {
  t = await startAuth();
});
afterAll(() => t.close());

describe('POST /api/users/signup', () => {
  it('when the email and password are valid, then 201 with {id, email}, a session cookie and a stored user', async () => {
    const email = anEmail();

    const res = await signUp(t, email);

    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), email });
    expect(sessionCookieOf(res)?.value).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const [stored] = await t.service.database.db.select().from(users).where(eq(users.email, email));
    expect(stored).toMatchObject({ id: res.body.id, email });
  });

  it('when the session cookie it set is sent back, then currentuser reports the new user', async () => {
    const res = await signUp(t);

    const me = await t.http.get('/api/users/currentuser').set('Cookie', `session=${sessionCookieOf(res)!.value}`);

    expect(me.body).toEqual({ currentUser: { id: res.body.id, email: res.body.email } });
  });

  it('when the email has spaces and capitals, then it is stored trimmed and lower-cased', async () => {
    const local = `foo-${Date.now()}`;

    const res = await signUp(t, `  ${local}@Example.COM `);

    expect(res.status).toBe(201);
    expect(res.body.email).toBe(`${local}@example.com`);
    expect(await countUsers(t, `${local}@example.com`)).toBe(1);
  });

  it('when the email is already in use, then 400 on the email field, no cookie, and the first account is untouched', async () => {
    const email = anEmail();
    await signUp(t, email);

    const res = await signUp(t, email, 'another password');

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message: 'Email in use', field: 'email' }] });
    expect(sessionCookieOf(res)).toBeUndefined();
    expect(await countUsers(t, email)).toBe(1);
    expect((await signIn(t, email, PASSWORD)).status).toBe(200);
    expect((await signIn(t, email, 'another password')).status).toBe(400);
  });

  it('when the same email differs only in case and spaces, then it counts as in use', async () => {
    const email = anEmail();
    await signUp(t, email);

    const res = await signUp(t, ` ${email.toUpperCase()}  `);

    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ message: 'Email in use', field: 'email' }]);
    expect(await countUsers(t, email)).toBe(1);
  });

  it('when many signups race for one email, then exactly one wins and the rest get 400', async () => {
    const email = anEmail();

    const results = await Promise.all(Array.from({ length: 8 }, () => signUp(t, email)));

    expect(results.map((r) => r.status).sort()).toEqual([201, 400, 400, 400, 400, 400, 400, 400]);
    expect(await countUsers(t, email)).toBe(1);
  });

  it.each([
    ['no @', 'not-an-email'],
    ['no domain', 'someone@'],
    ['only spaces', '   '],
    ['empty', ''],
    ['over 254 characters', `${'a'.repeat(250)}@example.com`],
  ])('when the email is invalid (%s), then 400 on the email field and no user is created', async (_case, email) => {
    const before = await countUsers(t);

    const res = await signUp(t, email);

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message: 'Email must be valid', field: 'email' }] });
    expect(sessionCookieOf(res)).toBeUndefined();
    expect(await countUsers(t)).toBe(before);
  });

  it.each([
    ['7 characters', 'a'.repeat(7), 'Password must be at least 8 characters'],
    ['empty', '', 'Password must be at least 8 characters'],
    ['129 characters', 'a'.repeat(129), 'Password must be at most 128 characters'],
  ])('when the password is %s, then 400 on the password field and the email stays free', async (_case, password, message) => {
    const email = anEmail();

    const res = await signUp(t, email, password);

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message, field: 'password' }] });
    expect(await countUsers(t, email)).toBe(0);
    expect((await signUp(t, email)).status).toBe(201);
  });

  it.each([
    ['8', 'a'.repeat(8)],
    ['128', 'b'.repeat(128)],
  ])('when the password is exactly %s characters, then 201 and it signs in', async (_case, password) => {
    const email = anEmail();

    const res = await signUp(t, email, password);

    expect(res.status).toBe(201);
    expect((await signIn(t, email, password)).status).toBe(200);
  });

  it('when one address signs up many users in a row, then none is refused (sign-ups are not rate-limited)', async () => {
    const statuses: number[] = [];

    for (let i = 0; i < 15; i++) statuses.push((await signUp(t)).status);

    expect(statuses).toEqual(Array(15).fill(201));
  });
});

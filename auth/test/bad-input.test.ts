import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countUsers, limitRows, PASSWORD, sessionCookieOf, startAuth, type Auth } from './setup.js';

let t: Auth;
beforeAll(async () => {
  t = await startAuth();
});
afterAll(() => t.close());

/** A refused request must leave no trace: no user, no failed attempt, no cookie. */
async function expectNothingChanged(res: { headers: Record<string, unknown> }, users: number, failures: unknown) {
  expect(sessionCookieOf(res)).toBeUndefined();
  expect(await countUsers(t)).toBe(users);
  expect(await limitRows(t)).toEqual(failures);
}

const email = 'someone@example.com';

describe.each(['/api/users/signup', '/api/users/signin'])('bad input to POST %s', (path) => {
  it.each([
    ['email is a number', { email: 42, password: PASSWORD }, [{ message: 'Email must be a string', field: 'email' }]],
    ['email is an object', { email: { $ne: '' }, password: PASSWORD }, [{ message: 'Email must be a string', field: 'email' }]],
    ['email is an array', { email: ['someone@example.com'], password: PASSWORD }, [{ message: 'Email must be a string', field: 'email' }]],
    ['email is null', { email: null, password: PASSWORD }, [{ message: 'Email must be a string', field: 'email' }]],
    ['email is missing', { password: PASSWORD }, [{ message: 'Email is required', field: 'email' }]],
    ['password is an array', { email, password: [PASSWORD] }, [{ message: 'Password must be a string', field: 'password' }]],
    ['password is a number', { email, password: 12345678 }, [{ message: 'Password must be a string', field: 'password' }]],
    ['password is missing', { email }, [{ message: 'Password is required', field: 'password' }]],
    [
      'password holds an unpaired surrogate',
      { email, password: 'correct horse \uD800' },
      [{ message: 'Password must be valid Unicode text', field: 'password' }],
    ],
    [
      'both are missing',
      {},
      [
        { message: 'Email is required', field: 'email' },
        { message: 'Password is required', field: 'password' },
      ],
    ],
    [
      'both are invalid',
      { email: 'nope', password: 'short' },
      [
        { message: 'Email must be valid', field: 'email' },
        { message: 'Password must be at least 8 characters', field: 'password' },
      ],
    ],
  ])('when the %s, then 400 naming the field and nothing changes', async (_case, body, errors) => {
    const [users, failures] = [await countUsers(t), await limitRows(t)];

    const res = await t.http.post(path).send(body);

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors });
    await expectNothingChanged(res, users, failures);
  });

  it.each([
    ['a JSON array', '[]', 'application/json', 'Request body must be a JSON object'],
    ['JSON null', 'null', 'application/json', 'Malformed JSON in request body'],
    ['a JSON string', '"hello"', 'application/json', 'Malformed JSON in request body'],
    ['malformed JSON', '{"email": "a@b.c", "password":', 'application/json', 'Malformed JSON in request body'],
  ])('when the body is %s, then 400 in the error shape and nothing changes', async (_case, raw, type, message) => {
    const [users, failures] = [await countUsers(t), await limitRows(t)];

    const res = await t.http.post(path).set('Content-Type', type).send(raw);

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message }] });
    await expectNothingChanged(res, users, failures);
  });

  it.each([
    ['plain text', JSON.stringify({ email, password: PASSWORD }), 'text/plain'],
    ['a form', `email=${encodeURIComponent(email)}&password=${PASSWORD}`, 'application/x-www-form-urlencoded'],
    ['XML', '<user/>', 'application/xml'],
  ])('when the body is %s, then 415 in the error shape and nothing changes', async (_case, raw, type) => {
    const [users, failures] = [await countUsers(t), await limitRows(t)];

    const res = await t.http.post(path).set('Content-Type', type).send(raw);

    expect(res.status).toBe(415);
    expect(res.body).toEqual({ errors: [{ message: 'Request body must be JSON (Content-Type: application/json)' }] });
    await expectNothingChanged(res, users, failures);
  });

  it('when there is no body at all, then 400 in the error shape and nothing changes', async () => {
    const [users, failures] = [await countUsers(t), await limitRows(t)];

    const res = await t.http.post(path);

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message: 'Request body must be a JSON object' }] });
    await expectNothingChanged(res, users, failures);
  });

  it('when the body is over 100 kB, then 413 in the error shape and nothing changes', async () => {
    const [users, failures] = [await countUsers(t), await limitRows(t)];

    const res = await t.http.post(path).send({ email, password: PASSWORD, padding: 'x'.repeat(101 * 1024) });

    expect(res.status).toBe(413);
    expect(res.body).toEqual({ errors: [{ message: 'Request body is too large' }] });
    await expectNothingChanged(res, users, failures);
  });
});

describe('extra input to POST /api/users/signup', () => {
  it('when the body has fields beyond email and password, then they are ignored', async () => {
    const res = await t.http
      .post('/api/users/signup')
      .send({ email: 'extra@example.com', password: PASSWORD, id: 'chosen-id', isAdmin: true });

    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), email: 'extra@example.com' });
  });
});

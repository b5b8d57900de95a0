import { describeAnswer } from '../answers.js';
import { fail, waitFor, type Check } from '../check.js';
import { sellTicket } from '../steps.js';
import type { Shop } from '../shop.js';

/** Chapter 15: one shape for every error, and sessions revoked everywhere through an event. */

/** Sends a raw request (any content type, any body) and returns its status and JSON body. */
async function raw(shop: Shop, method: string, path: string, contentType: string, body: string) {
  const res = await shop.fetch(path, { method, headers: { 'content-type': contentType }, body });
  return { status: res.status, body: await res.json().catch(() => undefined) };
}

const inShape = (body: any) =>
  Array.isArray(body?.errors) && body.errors.length > 0 && body.errors.every((e: any) => typeof e.message === 'string' && ['undefined', 'string'].includes(typeof e.field));

export const errorShape: Check = {
  id: 'error-shape',
  title: 'every refusal answers its status with {"errors":[{message, field?}]}: bad input (400, by field), no session (401), unknown id (404), not JSON (415)',
  guide: ['15-auth-and-errors.md', 'One shape for every error'],
  async run(shop) {
    const visitor = shop.visitor();
    const user = await shop.newUser();
    const cases: [what: string, res: { status: number; body?: any }, status: number, fields?: string[]][] = [
      ['a sign-up with a bad email and a short password', await visitor.request('POST', '/api/users/signup', { email: 'not-an-email', password: 'short' }), 400, ['email', 'password']],
      ['a sign-in with a wrong password', await visitor.request('POST', '/api/users/signin', { email: user.email, password: 'wrong password' }), 400],
      ['a ticket sold while signed out', await visitor.request('POST', '/api/tickets', { title: 'x', price: 10 }), 401],
      ['a price below 0.50', await user.request('POST', '/api/tickets', { title: 'Cheap', price: 0.2 }), 400, ['price']],
      ['an order id that is no UUID', await user.request('GET', '/api/orders/not-an-id'), 404],
      ['a body that is not JSON', await raw(shop, 'POST', '/api/users/signin', 'text/plain', 'hello'), 415],
      ['malformed JSON', await raw(shop, 'POST', '/api/users/signin', 'application/json', '{"email":'), 400],
    ];
    const wrong = cases.filter(([, res, status, fields]) => {
      const got = (res.body?.errors ?? []).map((e: { field?: string }) => e.field).filter(Boolean).sort();
      return res.status !== status || !inShape(res.body) || (fields && JSON.stringify(got) !== JSON.stringify(fields));
    });
    if (wrong.length) fail(wrong.map(([what, res, status, fields]) => `${what} answered ${describeAnswer(res)} ${JSON.stringify(res.body)}, expected ${status}${fields ? ` on ${fields.join(', ')}` : ''} in the error shape`).join('; '));
  },
};

export const sessionRevoked: Check = {
  id: 'session-revoked',
  title: 'signing out everywhere revokes every session: tickets refuses the old cookie within seconds (session.revoked)',
  guide: ['15-auth-and-errors.md', 'Signing out: revocation through an event'],
  async run(shop) {
    const first = await shop.newUser();
    await sellTicket(first);
    const second = await shop.signIn(first);
    const { revoked } = await second.expect(200, 'POST', '/api/users/signout-everywhere');
    if (revoked !== 2) fail(`signout-everywhere revoked ${revoked} sessions, not 2`);
    let last = 0;
    await waitFor(
      'tickets refusing the revoked session',
      async () => {
        last = (await first.request('POST', '/api/tickets', { title: 'After sign-out', price: 10 })).status;
        return last === 401 || undefined;
      },
      shop.timeoutMs,
      () => `POST /api/tickets with the revoked cookie still answers ${last}: has tickets handled session.revoked?`,
    );
  },
};

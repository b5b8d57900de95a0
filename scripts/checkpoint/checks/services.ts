import { randomUUID } from 'node:crypto';
import { describeAnswer } from '../answers.js';
import { fail, type Check } from '../check.js';
import { sellTicket, same } from '../steps.js';

/** Chapter 1: five services behind one front door, and the one thing they all take from auth, the session. */

export const servicesAnswer: Check = {
  id: 'services-answer',
  title: 'auth, tickets, orders and payments answer through the front door, and the web client serves pages',
  guide: ['01-services.md', 'Who talks to whom'],
  async run(shop) {
    const visitor = shop.visitor();
    // What each service answers someone signed out: its own answer, in the contract's shape.
    const asks = [
      ['auth', 'GET', '/api/users/currentuser', 200],
      ['tickets', 'GET', '/api/tickets?limit=1', 200],
      ['orders', 'GET', '/api/orders', 401],
      ['payments', 'POST', '/api/payments', 401],
    ] as const;
    const problems: string[] = [];
    for (const [service, method, path, status] of asks) {
      const res = await visitor.request(method, path, method === 'POST' ? {} : undefined);
      if (res.status !== status) problems.push(`${service}: ${method} ${path} answered ${describeAnswer(res, status)}`);
    }
    const page = await shop.fetch('/auth/signin');
    if (page.status !== 200 || !page.headers.get('content-type')?.includes('text/html')) {
      problems.push(`the web client: GET /auth/signin answered ${page.status} ${page.headers.get('content-type') ?? ''}`);
    }
    if (problems.length) fail(problems.join('; '));
  },
};

export const oneSession: Check = {
  id: 'one-session',
  title: "one sign-up's session cookie is accepted by tickets, orders and payments, which verify it without asking auth",
  guide: ['01-services.md', 'Who talks to whom'],
  async run(shop) {
    const user = await shop.newUser();
    same('GET /api/users/currentuser', (await user.expect(200, 'GET', '/api/users/currentuser')).currentUser?.id, user.id);
    await sellTicket(user);
    await user.expect(200, 'GET', '/api/orders');
    // Signed in, so past the 401: payments asks orders about an order nobody has, and says so.
    await user.expect(404, 'POST', '/api/payments', { orderId: randomUUID(), token: 'tok_visa' });
  },
};

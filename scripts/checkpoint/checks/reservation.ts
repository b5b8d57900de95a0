import { describeAnswer } from '../answers.js';
import { fail, waitFor, type Check } from '../check.js';
import { same, sellTicket, ticketReaching } from '../steps.js';

/** Chapter 6 (and exercise 2 of chapter 12): many buyers, one ticket, one order. */

const BUYERS = 8;

export const race: Check = {
  id: 'race',
  title: `${BUYERS} buyers race for one ticket: exactly one 201, every other 409 "Ticket is already reserved", the ticket reserved once (version 1)`,
  guide: ['06-reservation.md', 'The database decides'],
  async run(shop) {
    const seller = await shop.newUser();
    const buyers = await Promise.all(Array.from({ length: BUYERS }, () => shop.newUser()));
    const ticket = await sellTicket(seller);
    // All at once; all 404 means orders has not replicated the ticket yet, so again.
    const answers = await waitFor(
      'orders knowing the new ticket',
      async () => {
        const round = await Promise.all(buyers.map((b) => b.request('POST', '/api/orders', { ticketId: ticket.id })));
        return round.every((r) => r.status === 404) ? undefined : round;
      },
      shop.timeoutMs,
    );
    const won = answers.filter((r) => r.status === 201);
    // A 404 can only come from a round that met the replica arriving.
    const others = answers.filter((r) => r.status !== 201 && r.status !== 404 && !(r.status === 409 && r.body?.errors?.[0]?.message === 'Ticket is already reserved'));
    if (won.length !== 1 || others.length) {
      const counts = new Map<string, number>();
      for (const answer of answers.map((r) => describeAnswer(r))) counts.set(answer, (counts.get(answer) ?? 0) + 1);
      fail(`the ${BUYERS} buyers got ${[...counts].map(([answer, n]) => `${n} × ${answer}`).join(', ')}`);
    }
    const reserved = await ticketReaching(shop, seller, ticket.id, 'reserved by the winner', (t) => t.orderId === won[0]!.body.id);
    same('the reserved ticket\'s version', reserved.version, 1);
  },
};

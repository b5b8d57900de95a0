import { eventStreamMessages } from '@ticketing/testkit/api-user';
import { describeAnswer } from '../answers.js';
import { fail, type Check } from '../check.js';
import { anOrder, orderReaching, payWithToken, same, sellTicket, ticketReaching } from '../steps.js';
import type { Shop } from '../shop.js';

/** Chapter 16: the web client's pages, and the order's live stream the order page follows. */

async function pageText(shop: Shop, path: string): Promise<{ status: number; text: string; csp: string }> {
  const res = await shop.fetch(path);
  return { status: res.status, text: await res.text(), csp: res.headers.get('content-security-policy') ?? '' };
}

export const clientPages: Check = {
  id: 'client-pages',
  title: "the pages: a new ticket on the home page and on its own, with a nonce in each page's Content-Security-Policy; once bought, its page says it is sold",
  guide: ['16-the-client.md', 'The pages'],
  async run(shop) {
    const { seller, buyer, ticket, order } = await anOrder(shop, `Page check ${Date.now()}`, 20);
    const home = await pageText(shop, '/');
    if (home.status !== 200 || !home.csp.includes("'nonce-")) fail(`GET / answered ${home.status} with Content-Security-Policy "${home.csp}"`);
    const own = await pageText(shop, `/tickets/${ticket.id}`);
    if (own.status !== 200 || !own.text.includes(ticket.title)) fail(`GET /tickets/${ticket.id} answered ${own.status} without the ticket's title`);
    await payWithToken(buyer, order.id);
    await ticketReaching(shop, seller, ticket.id, 'sold', (t) => t.status === 'sold');
    const sold = await pageText(shop, `/tickets/${ticket.id}`);
    if (!sold.text.includes('This ticket has been sold')) fail(`the sold ticket's page (${sold.status}) does not say "This ticket has been sold"`);
  },
};

export const orderStream: Check = {
  id: 'order-stream',
  title: 'GET /api/orders/:id/updates sends the order at once, again when it is paid, and ends once it is complete',
  guide: ['16-the-client.md', 'Following an order live'],
  async run(shop) {
    const { buyer, order } = await anOrder(shop);
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), shop.timeoutMs);
    try {
      const res = await buyer.openStream(`/api/orders/${order.id}/updates`, abort.signal);
      if (res.status !== 200 || !res.headers.get('content-type')?.startsWith('text/event-stream')) {
        fail(`GET /api/orders/:id/updates answered ${describeAnswer({ status: res.status, body: await res.json().catch(() => undefined) })}`);
      }
      const statuses: string[] = [];
      for await (const message of eventStreamMessages(res.body!)) {
        if (message.event !== 'order') continue;
        statuses.push(JSON.parse(message.data!).status);
        if (statuses.length === 1) await payWithToken(buyer, order.id);
      }
      same('the statuses the stream sent', [statuses[0], statuses.at(-1)], ['created', 'complete']);
    } catch (err) {
      if (abort.signal.aborted) fail(`the order's stream did not end within ${shop.timeoutMs / 1000} s of the payment`);
      throw err;
    } finally {
      clearTimeout(timer);
    }
    await orderReaching(shop, buyer, order.id, 'complete');
  },
};

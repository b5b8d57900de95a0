import { fail, type Check } from '../check.js';
import { aPurchase } from '../steps.js';

/** Chapter 11: the event explorer, its page and its feed, and what it never shows. */

export const explorerPage: Check = {
  id: 'explorer-page',
  title: 'the event explorer\'s page answers at /events',
  guide: ['11-event-explorer.md', 'Using it'],
  async run(shop) {
    const page = await shop.fetch('/events');
    if (page.status === 404) fail('GET /events answered 404: the explorer is off (npm start turns it on unless NODE_ENV=production)');
    if (page.status !== 200 || !page.headers.get('content-type')?.includes('text/html')) fail(`GET /events answered ${page.status} ${page.headers.get('content-type') ?? ''}`);
  },
};

export const explorerLive: Check = {
  id: 'explorer-live',
  title: "a purchase's events reach the explorer's feed live, each listener turns to handled, and payment ids and user ids never leave it whole",
  guide: ['11-event-explorer.md', 'How it works'],
  async run(shop) {
    const bus = await shop.bus();
    const { order, buyer } = await aPurchase(shop);
    const find = (subject: string) =>
      bus.event(`${subject} for the purchase`, (e) => e.subject === subject && JSON.stringify(e.payload).includes(order.id), shop.timeoutMs);
    const [created, paid, completed] = await Promise.all([find('order.created'), find('payment.created'), find('order.completed')]);
    await bus.handledBy(completed, ['tickets', 'payments'], shop.timeoutMs);
    const payment = paid.payload as { id: string; chargeId: string };
    if (payment.id !== '[redacted]' || payment.chargeId !== '[redacted]') fail(`payment.created shows ${JSON.stringify(payment)}: its id and chargeId should be [redacted]`);
    const userId = (created.payload as { userId: string }).userId;
    if (userId === buyer.id || !buyer.id.startsWith(userId.replace(/…$/, ''))) fail(`order.created shows the user id as ${userId}, not its first eight characters`);
  },
};

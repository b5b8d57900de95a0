import { Skip, type Check } from '../check.js';
import { anOrder, orderReaching, payWithToken, same, ticketReaching } from '../steps.js';

/** Chapter 8: paying through the order's PaymentIntent (sandbox), and the card-token route's rules. */

export const payThroughIntent: Check = {
  id: 'pay-intent',
  title: 'paying through the PaymentIntent: the order awaits payment (version 1), a declined card says why, Visa pays, the order completes (version 2)',
  guide: ['08-payments.md', 'Paying through an intent, step by step'],
  async run(shop) {
    const { seller, buyer, ticket, order } = await anOrder(shop, 'Intent seat', 44.5);
    const intent = await buyer.expect(201, 'POST', '/api/payments/intents', { orderId: order.id });
    if (intent.provider !== 'sandbox') throw new Skip(`payments runs ${intent.provider}: this check confirms with the sandbox's test payment methods, which only the browser can do at Stripe`);
    same('the intent', [intent.orderId, intent.amount, intent.currency], [order.id, 44.5, 'usd']);
    same('the order awaiting payment, version', (await orderReaching(shop, buyer, order.id, 'awaiting:payment')).version, 1);
    const confirm = (paymentMethod: string) => buyer.expect(200, 'POST', '/api/payments/sandbox/confirm', { clientSecret: intent.clientSecret, paymentMethod });
    same('pm_card_chargeDeclined', await confirm('pm_card_chargeDeclined'), { status: 'requires_payment_method', lastError: 'Your card was declined.' });
    same('pm_card_visa', await confirm('pm_card_visa'), { status: 'succeeded', lastError: null });
    same('the paid order\'s version', (await orderReaching(shop, buyer, order.id, 'complete')).version, 2);
    await ticketReaching(shop, seller, ticket.id, 'sold', (t) => t.status === 'sold');
    await buyer.expect(400, 'POST', '/api/payments/intents', { orderId: order.id });
  },
};

export const payOnce: Check = {
  id: 'pay-token-once',
  title: 'a card token pays once: tok_chargeDeclined is refused (400), tok_visa pays (201), a second payment is refused (400)',
  guide: ['08-payments.md', 'Paying with a card token (the legacy route)'],
  async run(shop) {
    const { buyer, order } = await anOrder(shop);
    await buyer.expect(400, 'POST', '/api/payments', { orderId: order.id, token: 'tok_chargeDeclined' });
    await payWithToken(buyer, order.id);
    await buyer.expect(400, 'POST', '/api/payments', { orderId: order.id, token: 'tok_visa' });
    await orderReaching(shop, buyer, order.id, 'complete');
  },
};

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '@ticketing/testkit';
import { eventStreamMessages } from '@ticketing/testkit/api-user';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderTicket, sellTicket, signUp } from './flows.js';
import { RunningSystem } from './system.js';

let system: RunningSystem;
beforeAll(async () => {
  system = await RunningSystem.start({ services: ['auth', 'tickets', 'orders'], readyTimeoutMs: 120_000 });
});
afterAll(() => system?.stop());

describe('an order stream (GET /api/orders/:id/updates) as the orders process stops', () => {
  it('when orders is told to stop with a stream open, then the stream ends and the service stops cleanly, not held up until its forced exit', async () => {
    const seller = await signUp(system);
    const buyer = await signUp(system);
    const ticket = await sellTicket(seller);
    const order = await orderTicket(buyer, ticket.id);
    const res = await buyer.openStream(`/api/orders/${order.body.id}/updates`);
    const messages = eventStreamMessages(res.body!);
    expect((await messages.next()).value).toMatchObject({ event: 'order' });

    system.signal('orders', 'SIGTERM');

    expect(await messages.next()).toEqual({ done: true, value: undefined });
    await eventually(() => system.exitedByThemselves().includes('orders'), { what: 'orders to exit' });
    const log = readFileSync(join(system.logDir, 'orders.log'), 'utf8');
    expect(log).toContain('"msg":"stopped"');
    expect(log).not.toContain('shutdown took too long');
  });
});

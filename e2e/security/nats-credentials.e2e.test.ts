/**
 * The whole system on a NATS server with users and permissions, as production runs it: each
 * service signs in with its own nkey and may publish only its own events. A purchase and a
 * cancellation (every subject and every consumer of the system) go through without a single
 * permission violation in the server's log; an anonymous connection is refused.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderTicket, payOrder, sellTicket, signUp, waitForOrderStatus, waitForTicket } from '../flows.js';
import { RunningSystem } from '../system.js';

let system: RunningSystem;
beforeAll(async () => {
  system = await RunningSystem.start({ natsAuth: true });
});
afterAll(() => system?.stop());

const violations = () =>
  readFileSync(join(system.logDir, 'nats', 'nats.log'), 'utf8')
    .split('\n')
    .filter((line) => /Violation|authentication error/i.test(line));

describe('the system on an authorised NATS', () => {
  it('when a buyer orders and pays, and another orders and cancels, then both complete and NATS refused nothing', async () => {
    const seller = await signUp(system);
    const buyer = await signUp(system);
    const paid = await sellTicket(seller, 'Opera', 42.5);
    const order = await orderTicket(buyer, paid.id);
    expect(order.status).toBe(201);
    await waitForTicket(seller, paid.id, (t) => t.orderId === order.body.id, 'reserved by the order');
    expect((await payOrder(buyer, order.body.id)).status).toBe(201);
    await waitForOrderStatus(buyer, order.body.id, 'complete');

    const canceller = await signUp(system);
    const freed = await sellTicket(seller, 'Ballet', 30);
    const cancelled = await orderTicket(canceller, freed.id);
    await waitForTicket(seller, freed.id, (t) => t.orderId === cancelled.body.id, 'reserved');
    expect((await canceller.delete(`/api/orders/${cancelled.body.id}`)).status).toBe(204);
    await waitForTicket(seller, freed.id, (t) => t.orderId === null, 'free again');

    expect(violations()).toEqual([]);
  });

  it('when a client connects to the system\'s NATS without credentials, then it is refused', async () => {
    await expect(connect({ servers: system.busEnv.NATS_URL, reconnect: false, timeout: 2000 })).rejects.toThrow(/Authorization/i);
  });
});

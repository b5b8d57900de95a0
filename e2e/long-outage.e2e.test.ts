import { eventually, metricValue, readStream, shutOffDatabase, type TestBus } from '@ticketing/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listedIds, orderTicket, sellTicket, signUp, waitForTicket } from './flows.js';
import { RunningSystem } from './system.js';

/**
 * A dependency down for longer than a blip: a database failover, a node drain, a slow volume.
 * Events that fail meanwhile wait and are applied once it is back; none is dead-lettered.
 */
let system: RunningSystem;
beforeAll(async () => {
  system = await RunningSystem.start();
});
afterAll(() => system?.stop());

/** Longer than the 8 deliveries in about 62 s after which such an event used to be dead-lettered. */
const OUTAGE_MS = 95_000;
/** The system's stream, for reading it as the test kit does. */
const bus = () => ({ env: system.busEnv }) as TestBus;

describe('a long outage', () => {
  it(
    "when tickets' database refuses connections for 95 s while a buyer orders, then the order is taken, and once the database is back the ticket is reserved: no longer listed, not editable, nothing dead-lettered",
    async () => {
      const seller = await signUp(system);
      const buyer = await signUp(system);
      const ticket = await sellTicket(seller);
      // ticket.created has left tickets' outbox before the outage begins.
      await eventually(async () => (await readStream(bus(), 'ticket.created')).some((e) => (e.payload as { id: string }).id === ticket.id), {
        what: 'ticket.created published',
      });

      const outage = await shutOffDatabase(system.databaseUrl('tickets'));
      let restored = false;
      try {
        const order = await orderTicket(buyer, ticket.id);
        expect(order.status).toBe(201);
        await new Promise((r) => setTimeout(r, OUTAGE_MS));

        // Tickets says what is wrong: not ready (its database), and the event it keeps retrying.
        const ready = await fetch(`${system.url('tickets')}/readyz`);
        expect(ready.status).toBe(503);
        const body = (await ready.json()) as { checks: Record<string, boolean>; events: { retrying: number; causes: Record<string, number> } };
        expect(body.checks.database).toBe(false);
        expect(body.events.retrying).toBeGreaterThanOrEqual(1);
        expect(body.events.causes.unavailable).toBeGreaterThanOrEqual(1);
        const metrics = await (await fetch(`${system.metricsUrl('tickets')}/metrics`)).text();
        expect(metricValue(metrics, 'events_failed_total', { subject: 'order.created', cause: 'unavailable' })).toBeGreaterThan(8);

        await outage.restore();
        restored = true;
        const reserved = await waitForTicket(seller, ticket.id, (t) => t.orderId === order.body.id, 'reserved', 60_000);
        expect(reserved.version).toBe(1);
      } finally {
        if (!restored) await outage.restore();
      }
      expect(await listedIds(buyer)).not.toContain(ticket.id);
      const edit = await seller.put(`/api/tickets/${ticket.id}`, { title: 'Changed', price: 99 });
      expect(edit.status).toBe(400);
      expect(await readStream(bus(), 'deadletter.>')).toEqual([]);
    },
    240_000,
  );
});

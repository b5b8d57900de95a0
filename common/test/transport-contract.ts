/**
 * What any EventTransport must do for the services to be correct on it: the behaviour the
 * listeners, the outbox relay and requests rely on, as tests. JetStream runs them
 * (jetstream-transport.test.ts); a Kafka or RabbitMQ transport would have to pass them too.
 */
import { randomUUID } from 'node:crypto';
import { eventually } from '@ticketing/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import type { Deliveries, Delivery, EventTransport } from '../src/bus/transport.js';

/** Members of one system: transports that share a store, each a connection of its own. */
export interface TransportSystem {
  member(name: string): Promise<EventTransport>;
  remove(): Promise<void>;
}

const SUBJECT = 'ticket.created';
const ackWaitMs = 1000;
const subscribeOptions = { ackWaitMs, maxInFlight: 10 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function describeTransport(name: string, createSystem: () => Promise<TransportSystem>) {
  describe(`${name} as an event transport`, () => {
    const cleanups: (() => Promise<unknown>)[] = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c();
    });

    async function system() {
      const s = await createSystem();
      cleanups.push(() => s.remove());
      return {
        async member(memberName = 'a') {
          const transport = await s.member(memberName);
          cleanups.push(() => transport.close());
          return transport;
        },
      };
    }

    /** Collects what a subscription delivers, answering each as `answer` says. */
    function collect(deliveries: Deliveries, answer: (d: Delivery) => void = (d) => d.ack()) {
      const got: Delivery[] = [];
      void (async () => {
        for await (const d of deliveries) {
          got.push(d);
          answer(d);
        }
      })();
      cleanups.push(() => deliveries.close());
      return got;
    }

    const publishAll = (t: EventTransport, n: number) =>
      Promise.all(Array.from({ length: n }, (_, i) => t.publish(SUBJECT, JSON.stringify({ i }), { id: randomUUID() })));

    it('when an event is published, then a subscriber gets its data, headers, id, first delivery and time', async () => {
      const t = await (await system()).member();
      const got = collect(await t.subscribe('orders-ticket-created', SUBJECT, subscribeOptions));
      const id = randomUUID();
      const before = Date.now();
      await t.publish(SUBJECT, JSON.stringify({ title: 'Front row' }), { id, headers: { traceparent: 'tp-1', absent: undefined } });
      await eventually(() => got.length === 1);
      const [d] = got;
      expect(d!.json()).toEqual({ title: 'Front row' });
      expect(new TextDecoder().decode(d!.data)).toBe('{"title":"Front row"}');
      expect(d!.header('traceparent')).toBe('tp-1');
      expect(d!.header('absent')).toBeUndefined();
      expect(d!.id).toBe(id);
      expect(d!.deliveryCount).toBe(1);
      expect(d!.publishedAt).toBeGreaterThanOrEqual(before - 1000);
      expect(d!.publishedAt).toBeLessThanOrEqual(Date.now() + 1000);
    });

    it('when the same id is published twice, then it is delivered once', async () => {
      const t = await (await system()).member();
      const got = collect(await t.subscribe('orders-ticket-created', SUBJECT, subscribeOptions));
      const id = randomUUID();
      await t.publish(SUBJECT, '{"n":1}', { id });
      await t.publish(SUBJECT, '{"n":2}', { id });
      await t.publish(SUBJECT, '{"n":3}', { id: randomUUID() });
      await eventually(() => got.length === 2);
      await sleep(300);
      expect(got.map((d) => d.json())).toEqual([{ n: 1 }, { n: 3 }]);
    });

    it('when one member publishes in order, then a subscriber gets them in that order', async () => {
      const t = await (await system()).member();
      const got = collect(await t.subscribe('orders-ticket-created', SUBJECT, subscribeOptions));
      for (let i = 0; i < 30; i++) await t.publish(SUBJECT, JSON.stringify({ i }), { id: randomUUID() });
      await eventually(() => got.length === 30);
      expect(got.map((d) => (d.json() as { i: number }).i)).toEqual([...Array(30).keys()]);
      expect(new Set(got.map((d) => d.position)).size).toBe(30);
    });

    it('when two members share a group, then each event goes to one of them, and a second group gets every event', async () => {
      const s = await system();
      const [a, b, other] = [await s.member('a'), await s.member('b'), await s.member('c')];
      const gotA = collect(await a.subscribe('orders-ticket-created', SUBJECT, subscribeOptions));
      const gotB = collect(await b.subscribe('orders-ticket-created', SUBJECT, subscribeOptions));
      const gotOther = collect(await other.subscribe('payments-ticket-created', SUBJECT, subscribeOptions));
      await publishAll(a, 40);
      await eventually(() => gotA.length + gotB.length === 40 && gotOther.length === 40);
      await sleep(ackWaitMs + 500); // nothing comes twice, even after the ack wait
      const ids = [...gotA, ...gotB].map((d) => d.id);
      expect(new Set(ids).size).toBe(40);
      expect(ids).toHaveLength(40);
      expect(gotOther).toHaveLength(40);
    });

    it('when a delivery is retried, then the same event comes again after the delay, counted', async () => {
      const t = await (await system()).member();
      const retried = new Set<string>();
      const got = collect(await t.subscribe('orders-ticket-created', SUBJECT, subscribeOptions), (d) => {
        if (retried.has(d.id)) return d.ack();
        retried.add(d.id);
        d.retry(500);
      });
      await t.publish(SUBJECT, '{}', { id: randomUUID() });
      await eventually(() => got.length === 2);
      const [first, again] = got;
      expect(again!.id).toBe(first!.id);
      expect(again!.position).toBe(first!.position);
      expect(again!.deliveryCount).toBe(2);
    });

    it('when a member takes an event and never answers, then it comes again after the ack wait', async () => {
      const t = await (await system()).member();
      const got = collect(await t.subscribe('orders-ticket-created', SUBJECT, subscribeOptions), (d) => {
        if (d.deliveryCount > 1) d.ack();
      });
      await t.publish(SUBJECT, '{}', { id: randomUUID() });
      await eventually(() => got.length === 2, { timeoutMs: ackWaitMs * 5 });
      expect(got[1]!.publishedAt).toBe(got[0]!.publishedAt);
      expect(got[1]!.deliveryCount).toBe(2);
    });

    it('when a delivery is rejected, then it never comes again', async () => {
      const t = await (await system()).member();
      const got = collect(await t.subscribe('orders-ticket-created', SUBJECT, subscribeOptions), (d) => d.reject('poison'));
      await t.publish(SUBJECT, 'not json', { id: randomUUID() });
      await eventually(() => got.length === 1);
      await sleep(ackWaitMs * 2);
      expect(got).toHaveLength(1);
    });

    it('when a group resubscribes after a stop, then it gets only what it had not acknowledged', async () => {
      const s = await system();
      const t = await s.member();
      const first = await t.subscribe('orders-ticket-created', SUBJECT, subscribeOptions);
      const got = collect(first);
      await publishAll(t, 3);
      await eventually(() => got.length === 3);
      await sleep(200); // the acks reach the server
      await first.close();
      await publishAll(t, 2);
      const later = collect(await (await s.member('restarted')).subscribe('orders-ticket-created', SUBJECT, subscribeOptions));
      await eventually(() => later.length === 2);
      await sleep(300);
      expect(later).toHaveLength(2);
      expect(later.map((d) => d.id)).not.toContain(got[0]!.id);
    });

    it('when a request is asked of a group of two, then one member answers it; with none, asking fails in time', async () => {
      const s = await system();
      const [asker, a, b] = [await s.member('asker'), await s.member('a'), await s.member('b')];
      const answered: string[] = [];
      const answerAs = (who: string) => (r: { json(): unknown; respond(body: string): void }) => {
        answered.push(who);
        r.respond(JSON.stringify({ who, asked: r.json() }));
      };
      const answerings = [a.answer('orders.payment-claim', 'orders', answerAs('a')), b.answer('orders.payment-claim', 'orders', answerAs('b'))];
      await a.ping();
      await b.ping(); // the subscriptions have reached the server
      const reply = await asker.request('orders.payment-claim', '{"orderId":"o1"}', 2000);
      expect(reply.json()).toMatchObject({ asked: { orderId: 'o1' } });
      expect(answered).toHaveLength(1);
      for (const answering of answerings) await answering.drain();
      expect(answerings.every((x) => x.closed)).toBe(true);
      const started = Date.now();
      await expect(asker.request('orders.payment-claim', '{}', 500)).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(5000);
    });

    it('when events are stored, then usage counts them; once closed, ping fails', async () => {
      const t = await (await system()).member();
      const before = await t.usage();
      await publishAll(t, 5);
      const after = await t.usage();
      expect(after.messages - before.messages).toBe(5);
      expect(after.bytes).toBeGreaterThan(before.bytes);
      expect(after.maxBytes).toBeGreaterThan(after.bytes);
      await t.ping();
      await t.close();
      await expect(t.ping()).rejects.toThrow();
    });
  });
}

import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { consumerName, DEAD_LETTER_PREFIX, deadLetterHeaders, isDeadLetter } from '@ticketing/contracts';
import type { LedgerCharge } from '@ticketing/testkit';
import pg from 'pg';
import type { RunningSystem, ServiceName } from '../system.js';
import type { FlowRecord } from './workload.js';

/**
 * What must hold after the chaos, read from every service's database and from JetStream
 * (not from the services' own answers, which could hide a lost event). Each check returns
 * the violations it found, as sentences.
 */

/** The durable consumers the system must have: (service, subject) as the DESIGN lists them. */
export const CONSUMERS: [ServiceName, string][] = [
  ['orders', 'ticket.created'],
  ['orders', 'ticket.updated'],
  ['orders', 'expiration.complete'],
  ['orders', 'payment.started'],
  ['orders', 'payment.created'],
  ['tickets', 'order.created'],
  ['tickets', 'order.cancelled'],
  ['tickets', 'order.completed'],
  ['payments', 'order.created'],
  ['payments', 'order.updated'],
  ['payments', 'order.cancelled'],
  ['payments', 'order.completed'],
  ['expiration', 'order.created'],
  ['tickets', 'session.revoked'],
  ['orders', 'session.revoked'],
  ['payments', 'session.revoked'],
];

interface Snapshot {
  tickets: Map<string, { version: number; orderId: string | null; priceCents: number; title: string }>;
  orders: Map<string, { status: string; version: number; ticketId: string; expiresAt: Date; userId: string }>;
  ticketReplicas: Map<string, { version: number; priceCents: number; title: string }>;
  orderReplicas: Map<string, { status: string; version: number; priceCents: number; expiresAt: Date; userId: string }>;
  /** How many order.updated (awaiting payment) each order has in orders' outbox. */
  awaited: Map<string, number>;
  /** expiration's copy of each order: its expiry job, keyed by the order id. */
  expiryJobs: Map<string, { startAfter: Date; state: string; retries: number }>;
  payments: { orderId: string; chargeId: string; refundedAt: Date | null }[];
  unsent: Partial<Record<ServiceName, number>>;
  /** Inbox rows per consumer name, from the database of the service that owns it. */
  handled: Map<string, number>;
}

export interface BusState {
  /** Messages per (unprefixed) subject in the stream. */
  perSubject: Map<string, number>;
  deadLetters: { consumer: string; reason: string }[];
  events: number;
  consumers: { name: string; pending: number; ackPending: number }[];
}

export interface Check {
  violations: string[];
  events: number;
  refunded: number;
}

/**
 * Every invariant, once. `charges` is the payment provider's own ledger (the Stripe stand-in's),
 * to check the money against the payments recorded.
 */
export async function checkInvariants(system: RunningSystem, flows: FlowRecord[], charges: readonly LedgerCharge[]): Promise<Check> {
  const [db, bus] = await Promise.all([readDatabases(system), readBus(system)]);
  const violations = [
    ...oneLiveOrderPerTicket(db),
    ...paymentsMatchOrders(db),
    ...chargesMatchPayments(db, charges),
    ...expiredOrdersCancelled(db),
    ...replicasMatchSources(db),
    ...expiryScheduledPerOrder(db),
    ...nothingLost(db, bus),
    ...noDeadLetters(bus),
    ...handledExactlyOnce(db, bus),
    ...flowsMatchOutcome(db, flows),
  ];
  return { violations, events: bus.events, refunded: db.payments.filter((p) => p.refundedAt).length };
}

function oneLiveOrderPerTicket(db: Snapshot): string[] {
  const out: string[] = [];
  const liveByTicket = new Map<string, string[]>();
  for (const [id, o] of db.orders) {
    if (o.status !== 'cancelled') liveByTicket.set(o.ticketId, [...(liveByTicket.get(o.ticketId) ?? []), id]);
  }
  for (const [ticketId, live] of liveByTicket) {
    if (live.length > 1) out.push(`ticket ${ticketId} has ${live.length} live orders`);
    const held = db.tickets.get(ticketId)?.orderId;
    if (held !== live[0]) out.push(`ticket ${ticketId} is held by ${held}, but its live order is ${live[0]}`);
  }
  for (const [ticketId, t] of db.tickets) {
    if (t.orderId && !liveByTicket.get(ticketId)?.includes(t.orderId)) {
      out.push(`ticket ${ticketId} is held by order ${t.orderId}, which is ${db.orders.get(t.orderId)?.status ?? 'unknown'}`);
    }
  }
  return out;
}

/** A kept payment means a complete order; a refunded one, a cancelled order; a complete order, one kept payment. */
function paymentsMatchOrders(db: Snapshot): string[] {
  const out: string[] = [];
  const kept = new Map<string, number>();
  for (const p of db.payments) {
    const status = db.orders.get(p.orderId)?.status;
    if (p.refundedAt) {
      if (status !== 'cancelled') out.push(`payment for order ${p.orderId} was refunded, but the order is ${status}`);
    } else {
      kept.set(p.orderId, (kept.get(p.orderId) ?? 0) + 1);
      if (status !== 'complete') out.push(`payment for order ${p.orderId} was kept, but the order is ${status}`);
    }
  }
  for (const [id, o] of db.orders) {
    if (o.status === 'complete' && kept.get(id) !== 1) out.push(`complete order ${id} has ${kept.get(id) ?? 0} kept payments`);
  }
  return out;
}

/**
 * No money is taken without a record of it: each charge the provider made is a payment's (kept,
 * or refunded with the payment marked so) or was refunded; each payment's charge exists.
 */
function chargesMatchPayments(db: Snapshot, charges: readonly LedgerCharge[]): string[] {
  const out: string[] = [];
  const byId = new Map(charges.map((c) => [c.id, c]));
  const paymentOf = new Map(db.payments.map((p) => [p.chargeId, p]));
  for (const c of charges) {
    if (c.status === 'succeeded' && !c.refunded && !paymentOf.has(c.id)) {
      out.push(`charge ${c.id} (${c.amount}c, "${c.description}") has no payment and was not refunded`);
    }
  }
  for (const p of db.payments) {
    const c = byId.get(p.chargeId);
    if (!c) out.push(`payment for order ${p.orderId} holds charge ${p.chargeId}, which the provider never made`);
    else if (!!p.refundedAt !== c.refunded) {
      out.push(`payment for order ${p.orderId} is ${p.refundedAt ? '' : 'not '}refunded, its charge ${c.id} is ${c.refunded ? '' : 'not '}refunded`);
    }
  }
  return out;
}

function expiredOrdersCancelled(db: Snapshot): string[] {
  const now = Date.now();
  return [...db.orders]
    .filter(([, o]) => (o.status === 'created' || o.status === 'awaiting:payment') && o.expiresAt.getTime() < now)
    .map(([id, o]) => `order ${id} is still ${o.status} ${Math.round((now - o.expiresAt.getTime()) / 1000)} s after it expired`);
}

/** Every replica holds its source's latest version: orders' tickets, payments' orders. */
function replicasMatchSources(db: Snapshot): string[] {
  const out: string[] = [];
  for (const [id, t] of db.tickets) {
    const r = db.ticketReplicas.get(id);
    if (!r) out.push(`orders has no replica of ticket ${id}`);
    else if (r.version !== t.version || r.priceCents !== t.priceCents || r.title !== t.title) {
      out.push(`ticket ${id}: replica v${r.version} ${r.priceCents}c "${r.title}", source v${t.version} ${t.priceCents}c "${t.title}"`);
    }
  }
  for (const id of db.ticketReplicas.keys()) if (!db.tickets.has(id)) out.push(`orders replicates unknown ticket ${id}`);
  for (const [id, o] of db.orders) {
    const r = db.orderReplicas.get(id);
    // The workload never edits a price: an order's price is its ticket's.
    const priceCents = db.tickets.get(o.ticketId)?.priceCents;
    if (!r) out.push(`payments has no replica of order ${id}`);
    else if (r.version !== o.version || r.status !== o.status || r.userId !== o.userId) {
      out.push(`order ${id}: replica v${r.version} ${r.status} of ${r.userId}, source v${o.version} ${o.status} of ${o.userId}`);
    } else if (r.priceCents !== priceCents || r.expiresAt.getTime() !== o.expiresAt.getTime()) {
      out.push(`order ${id}: replica ${r.priceCents}c until ${r.expiresAt.toISOString()}, source ${priceCents}c until ${o.expiresAt.toISOString()}`);
    }
    // Each order changes status once per step of created [-> awaiting:payment] -> cancelled or
    // complete, and awaits payment at most once: a higher version means a change applied twice.
    const awaited = db.awaited.get(id) ?? 0;
    if (awaited > 1) out.push(`order ${id} was marked awaiting payment ${awaited} times`);
    if (o.status === 'awaiting:payment' && awaited !== 1) out.push(`order ${id} awaits payment, but orders published no order.updated for it`);
    const expected = o.status === 'created' ? 0 : o.status === 'awaiting:payment' ? 1 : 1 + Math.min(awaited, 1);
    if (o.version !== expected) out.push(`order ${id} is ${o.status} at version ${o.version}`);
  }
  for (const id of db.orderReplicas.keys()) if (!db.orders.has(id)) out.push(`payments replicates unknown order ${id}`);
  return out;
}

/**
 * expiration's view of the orders: one expiry job per order, due at its expiresAt (later once
 * retried: a retry, after a failure or a replica's death mid-job, is due after a delay), done
 * once that has passed.
 */
function expiryScheduledPerOrder(db: Snapshot): string[] {
  const out: string[] = [];
  const now = Date.now();
  for (const [id, o] of db.orders) {
    const job = db.expiryJobs.get(id);
    const due = job?.startAfter.getTime();
    if (!job) out.push(`expiration has no expiry job for order ${id}`);
    else if (job.retries === 0 ? due !== o.expiresAt.getTime() : due! < o.expiresAt.getTime()) {
      out.push(`order ${id} expires at ${o.expiresAt.toISOString()}, but its job is due at ${job.startAfter.toISOString()}`);
    } else if (o.expiresAt.getTime() < now && job.state !== 'completed') {
      out.push(`order ${id}'s expiry job is ${job.state} ${Math.round((now - o.expiresAt.getTime()) / 1000)} s after it was due`);
    }
  }
  for (const id of db.expiryJobs.keys()) if (!db.orders.has(id)) out.push(`expiration has a job for unknown order ${id}`);
  return out;
}

/** Outboxes drained, consumers caught up. */
function nothingLost(db: Snapshot, bus: BusState): string[] {
  const out: string[] = [];
  for (const [service, n] of Object.entries(db.unsent)) if (n) out.push(`${service} has ${n} unsent outbox events`);
  for (const c of bus.consumers) {
    if (c.pending || c.ackPending) out.push(`consumer ${c.name}: ${c.pending} pending, ${c.ackPending} awaiting ack`);
  }
  const names = new Set(bus.consumers.map((c) => c.name));
  for (const [service, subject] of CONSUMERS) {
    if (!names.has(consumerName(service, subject))) out.push(`consumer ${consumerName(service, subject)} is missing`);
  }
  return out;
}

/**
 * Failures that pass with time: an event dead-lettered for one of them was valid, and its
 * consumer lost it (PostgreSQL and network errors, timeouts, conflicts, and an event that came
 * before the one it follows: a newer version, a record not replicated yet, a ticket still held).
 */
export const INFRASTRUCTURE_FAILURE =
  /connect|terminat|not currently accepting connections|the database system is|shutting down|timeout|timed out|serializ|deadlock|arrived before|not replicated|still held by|ECONN|EPIPE|EAI_AGAIN/i;

/**
 * Nothing for the dead-letter replay to do: the workload publishes no poison, so every dead
 * letter is a valid event its consumer dropped. Grouped by consumer and by whether an
 * infrastructure failure was the reason (which must never dead-letter an event).
 */
function noDeadLetters(bus: BusState): string[] {
  const groups = new Map<string, { n: number; example: string }>();
  for (const { consumer, reason } of bus.deadLetters) {
    const kind = INFRASTRUCTURE_FAILURE.test(reason) ? 'for an infrastructure failure' : 'left to replay';
    const key = `dead letters of ${consumer} ${kind}`;
    const group = groups.get(key) ?? { n: 0, example: reason };
    group.n++;
    groups.set(key, group);
  }
  return [...groups].map(([key, { n, example }]) => `${n} ${key}, e.g. "${example}"`);
}

/** Each consumer's inbox holds exactly one entry per event on its subject: none lost, none twice. */
function handledExactlyOnce(db: Snapshot, bus: BusState): string[] {
  const out: string[] = [];
  for (const [service, subject] of CONSUMERS) {
    const name = consumerName(service, subject);
    const inStream = bus.perSubject.get(subject) ?? 0;
    const handled = db.handled.get(name) ?? 0;
    if (handled !== inStream) out.push(`${name} handled ${handled} of the ${inStream} ${subject} events`);
  }
  return out;
}

/** What the APIs answered each flow must be what the databases say. */
function flowsMatchOutcome(db: Snapshot, flows: FlowRecord[]): string[] {
  const out: string[] = [];
  for (const f of flows) {
    if (f.ordersTaken > 1) out.push(`ticket ${f.ticketId} was ordered ${f.ordersTaken} times (201 each)`);
    if (!f.orderId) continue;
    const status = db.orders.get(f.orderId)?.status;
    const refunded = db.payments.some((p) => p.orderId === f.orderId && p.refundedAt);
    if (f.paymentStatus === 201 && status !== 'complete' && !refunded) {
      out.push(`order ${f.orderId} was paid (201) but is ${status} and not refunded`);
    }
    if (f.cancelStatus === 204 && status !== 'cancelled') out.push(`order ${f.orderId} was cancelled (204) but is ${status}`);
    if ((f.kind === 'expire' || f.kind === 'intent-expire') && status !== 'cancelled') out.push(`order ${f.orderId} left to expire is ${status}`);
    const awaited = db.awaited.get(f.orderId) ?? 0;
    if (f.awaited && awaited !== 1) out.push(`order ${f.orderId} was seen awaiting payment, but orders published ${awaited} order.updated for it`);
  }
  return out;
}

async function readDatabases(system: RunningSystem): Promise<Snapshot> {
  return withClients(system, async (q) => {
    const tickets = await q('tickets', 'select id, version, order_id, price_cents, title from tickets');
    const orders = await q('orders', 'select id, status, version, ticket_id, expires_at, user_id from orders');
    const ticketReplicas = await q('orders', 'select id, version, price_cents, title from tickets');
    const awaited = await q('orders', "select payload->>'id' as id, count(*)::int as n from outbox where subject = 'order.updated' group by 1");
    const orderReplicas = await q('payments', 'select id, status, version, price_cents, expires_at, user_id from orders');
    // expiration's queue (EXPIRY_QUEUE in expiration/src/expiry-queue.ts), one job per order id.
    const expiryJobs = await q('expiration', "select id::text, start_after, state, retry_count from pgboss.job where name = 'order-expiry'");
    const payments = await q('payments', 'select order_id, charge_id, refunded_at from payments');
    const unsent: Snapshot['unsent'] = {};
    const handled = new Map<string, number>();
    for (const service of system.services) {
      const [row] = await q(service, 'select count(*)::int as n from outbox where sent_at is null');
      unsent[service] = row!.n;
      for (const r of await q(service, 'select consumer, count(*)::int as n from inbox group by consumer')) {
        handled.set(r.consumer, r.n);
      }
    }
    return {
      tickets: new Map(tickets.map((r) => [r.id, { version: r.version, orderId: r.order_id, priceCents: r.price_cents, title: r.title }])),
      orders: new Map(
        orders.map((r) => [
          r.id,
          { status: r.status, version: r.version, ticketId: r.ticket_id, expiresAt: r.expires_at, userId: r.user_id },
        ]),
      ),
      ticketReplicas: new Map(ticketReplicas.map((r) => [r.id, { version: r.version, priceCents: r.price_cents, title: r.title }])),
      orderReplicas: new Map(
        orderReplicas.map((r) => [
          r.id,
          { status: r.status, version: r.version, priceCents: r.price_cents, expiresAt: r.expires_at, userId: r.user_id },
        ]),
      ),
      awaited: new Map(awaited.map((r) => [r.id, r.n])),
      expiryJobs: new Map(expiryJobs.map((r) => [r.id, { startAfter: r.start_after, state: r.state, retries: r.retry_count }])),
      payments: payments.map((r) => ({ orderId: r.order_id, chargeId: r.charge_id, refundedAt: r.refunded_at })),
      unsent,
      handled,
    };
  });
}

type Query = (service: ServiceName, sql: string) => Promise<any[]>;

async function withClients<T>(system: RunningSystem, fn: (q: Query) => Promise<T>): Promise<T> {
  const clients = new Map<ServiceName, pg.Client>();
  try {
    for (const s of system.services) {
      const c = new pg.Client({ connectionString: system.databaseUrl(s) });
      await c.connect();
      clients.set(s, c);
    }
    // One snapshot per database, each read in a repeatable-read transaction.
    for (const c of clients.values()) await c.query('begin isolation level repeatable read');
    return await fn(async (s, sql) => (await clients.get(s)!.query(sql)).rows);
  } finally {
    for (const c of clients.values()) await c.end().catch(() => {});
  }
}

export async function readBus(system: RunningSystem): Promise<BusState> {
  const { NATS_URL, NATS_STREAM, NATS_SUBJECT_PREFIX } = system.busEnv;
  const nc = await connect({ servers: NATS_URL });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(NATS_STREAM, { subjects_filter: '>' });
    const perSubject = new Map<string, number>();
    for (const [subject, n] of Object.entries(info.state.subjects ?? {})) {
      perSubject.set(subject.slice(NATS_SUBJECT_PREFIX.length), n);
    }
    const consumers: BusState['consumers'] = [];
    for await (const c of jsm.consumers.list(NATS_STREAM)) {
      consumers.push({ name: c.name, pending: c.num_pending, ackPending: c.num_ack_pending });
    }
    const anyDead = [...perSubject.keys()].some(isDeadLetter);
    const deadLetters = anyDead ? await readDeadLetters(nc, NATS_STREAM, NATS_SUBJECT_PREFIX) : [];
    return { perSubject, deadLetters, events: info.state.messages, consumers };
  } finally {
    await nc.close();
  }
}

/** Each dead letter's consumer and reason, through a short-lived consumer that acknowledges nothing. */
async function readDeadLetters(nc: NatsConnection, stream: string, prefix: string): Promise<BusState['deadLetters']> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.consumers.add(stream, {
    filter_subject: `${prefix}${DEAD_LETTER_PREFIX}.>`,
    ack_policy: AckPolicy.None,
    deliver_policy: DeliverPolicy.All,
    mem_storage: true,
    inactive_threshold: nanos(30_000),
  });
  try {
    const reader = await jetstream(nc).consumers.get(stream, info.name);
    const letters: BusState['deadLetters'] = [];
    for await (const m of await reader.fetch({ max_messages: info.num_pending, expires: 5000 })) {
      letters.push({ consumer: m.headers?.get(deadLetterHeaders.consumer) ?? '?', reason: m.headers?.get(deadLetterHeaders.reason) ?? '' });
    }
    return letters;
  } finally {
    await jsm.consumers.delete(stream, info.name).catch(() => false);
  }
}

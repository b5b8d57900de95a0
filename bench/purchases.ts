import pg from 'pg';
import { ApiUser, at, eventStreamMessages } from '@ticketing/testkit/api-user';
import { inParallel } from './parallel.js';
import type { BareServer } from './baselines.js';
import type { BenchConfig } from './config.js';
import { cpuBetween, cpuByRole } from './process-tree.js';
import { figure, type Figure } from './report.js';
import { alternate, median, now, percentile, round, sleep } from './stats.js';

const GROUP = '4. Purchases: create order, pay, order complete visible';
/** Streams a buyer's page may open for one order (EventSource reconnects when one ends early). */
const MAX_STREAMS = 5;

interface Steps {
  order: number[];
  pay: number[];
  complete: number[];
  /** Requests sent, to tell the purchase's own work from the asking: pay attempts and order streams opened. */
  payAttempts: number;
  streams: number;
}

interface Round {
  completed: number;
  seconds: number;
  perSecond: number;
  failures: string[];
}

/**
 * The order page's view of the order: its stream (GET /api/orders/:id/updates), opened again
 * when one ends early, as EventSource does. Resolves when the order shows complete.
 */
async function completeSeen(buyer: ApiUser, orderId: string, steps: Steps, signal: AbortSignal): Promise<void> {
  for (let opened = 0; opened < MAX_STREAMS; opened++) {
    const res = await buyer.openStream(`/api/orders/${orderId}/updates`, signal);
    steps.streams++;
    if (res.status !== 200) throw new Error(`GET /api/orders/:id/updates: ${res.status} ${await res.text()}`);
    for await (const message of eventStreamMessages(res.body!)) {
      if (message.event !== 'order') continue;
      const { status } = JSON.parse(message.data!) as { status: string };
      if (status === 'complete') return;
      if (status === 'cancelled') throw new Error(`order ${orderId} was cancelled`);
    }
  }
  throw new Error(`order ${orderId} not complete after ${MAX_STREAMS} streams`);
}

/**
 * One purchase, as a buyer in a browser makes it, each step timed: reserve; the order page
 * opens the order's stream as it shows; pay, at once; see the stream
 * say complete.
 */
async function purchase(buyer: ApiUser, ticketId: string, steps: Steps) {
  let started = now();
  const order = await buyer.expect(201, 'POST', '/api/orders', { ticketId });
  steps.order.push(now() - started);
  const leave = new AbortController();
  const seen = completeSeen(buyer, order.id, steps, leave.signal);
  seen.catch(() => {}); // awaited below; when paying fails, the page is left and pay's error reported
  try {
    started = now();
    // One request: payments waits for an order it has not heard of yet (docs/design.md §3).
    const res = await buyer.post('/api/payments', { orderId: order.id, token: 'tok_visa' });
    steps.payAttempts++;
    if (res.status !== 201) throw new Error(`POST /api/payments: ${res.status} ${JSON.stringify(res.body)}`);
    steps.pay.push(now() - started);

    started = now();
    await seen;
    steps.complete.push(now() - started);
  } finally {
    leave.abort();
  }
}

/** Every buyer buys ticket after ticket until time is up; purchases under way are finished. */
async function purchaseRound(buyers: ApiUser[], tickets: string[], seconds: number, steps: Steps): Promise<Round> {
  const started = now();
  const deadline = started + seconds * 1000;
  let completed = 0;
  const failures: string[] = [];
  await Promise.all(
    buyers.map(async (buyer) => {
      while (now() < deadline) {
        const ticketId = tickets.pop();
        if (!ticketId) return; // sold out: the round ends early
        try {
          await purchase(buyer, ticketId, steps);
          completed++;
        } catch (err) {
          failures.push(err instanceof Error ? err.message : String(err));
        }
      }
    }),
  );
  const elapsed = (now() - started) / 1000;
  return { completed, seconds: elapsed, perSecond: completed / elapsed, failures };
}

/** The baseline: the same buyers making three requests per "purchase" to a bare Express route. */
async function bareRound(url: string, buyers: number, seconds: number, latencies: number[]): Promise<Round> {
  const started = now();
  const deadline = started + seconds * 1000;
  let completed = 0;
  await Promise.all(
    Array.from({ length: buyers }, async () => {
      while (now() < deadline) {
        for (let step = 0; step < 3; step++) {
          const t = now();
          const res = await fetch(`${url}/api/echo`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ step }),
          });
          await res.arrayBuffer();
          latencies.push(now() - t);
        }
        completed++;
      }
    }),
  );
  const elapsed = (now() - started) / 1000;
  return { completed, seconds: elapsed, perSecond: completed / elapsed, failures: [] };
}

/** Tickets for sale, created through the API so every service has them; waits until orders does. */
export async function ticketsForSale(seller: ApiUser, count: number, ordersDatabaseUrl: string): Promise<string[]> {
  const ids = await inParallel(
    Array.from({ length: count }, (_, i) => i),
    20,
    async (i) => (await seller.expect(201, 'POST', '/api/tickets', { title: `Purchase ticket ${i}`, price: 25 })).id as string,
  );
  const orders = new pg.Client({ connectionString: ordersDatabaseUrl });
  await orders.connect();
  try {
    for (let waited = 0; ; waited += 200) {
      const { rows } = await orders.query('select count(*)::int as n from tickets where id = any($1::uuid[])', [ids]);
      if (rows[0].n === ids.length) return ids;
      if (waited > 120_000) throw new Error(`orders has ${rows[0].n} of ${ids.length} tickets after 2 minutes`);
      await sleep(200);
    }
  } finally {
    await orders.end();
  }
}

/** Zero oversold: no ticket with two live orders, no order paid twice, every purchase recorded once. */
async function oversoldCheck(databaseUrl: (service: string) => string, ticketIds: string[]) {
  const query = async (service: string, sql: string, params: unknown[] = []) => {
    const client = new pg.Client({ connectionString: databaseUrl(service) });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows[0].n as number;
    } finally {
      await client.end();
    }
  };
  return {
    ticketsWithTwoLiveOrders: await query(
      'orders',
      `select count(*)::int as n from (select ticket_id from orders where status <> 'cancelled'
       group by ticket_id having count(*) > 1) t`,
    ),
    ordersPaidTwice: await query(
      'payments',
      'select count(*)::int as n from (select order_id from payments group by order_id having count(*) > 1) p',
    ),
    completeOrders: await query(
      'orders',
      `select count(*)::int as n from orders where status = 'complete' and ticket_id = any($1::uuid[])`,
      [ticketIds],
    ),
  };
}

export async function purchases(options: {
  frontDoor: string;
  systemPid: number;
  bare: BareServer;
  seller: ApiUser;
  databaseUrl: (service: string) => string;
  config: BenchConfig;
  /** Called as the buying starts and ends, e.g. to sample memory meanwhile. */
  during: { start(): void; stop(): void };
}) {
  const { frontDoor, systemPid, bare, seller, databaseUrl, config, during } = options;
  const tickets = await ticketsForSale(seller, config.purchaseTickets, databaseUrl('orders'));
  const forSale = [...tickets];
  const buyers = await inParallel(Array.from({ length: config.buyers }), 5, () => ApiUser.signUp(at(frontDoor)));
  const steps: Steps = { order: [], pay: [], complete: [], payAttempts: 0, streams: 0 };
  const bareLatencies: number[] = [];
  // CPU per purchase by part of the system: where the time goes.
  const cpu: Record<string, number> = {};
  const accounted = async () => {
    const before = cpuByRole(systemPid);
    const result = await purchaseRound(buyers, forSale, config.purchaseSeconds, steps);
    for (const [role, ms] of Object.entries(cpuBetween(before, cpuByRole(systemPid)))) cpu[role] = (cpu[role] ?? 0) + ms;
    return result;
  };
  during.start();
  const rounds = await alternate(
    config.purchaseRounds,
    accounted,
    () => bareRound(bare.url, config.buyers, config.purchaseSeconds, bareLatencies),
  ).finally(() => during.stop());
  const completed = rounds.a.reduce((n, r) => n + r.completed, 0);
  const failures = rounds.a.flatMap((r) => r.failures);
  const check = await oversoldCheck(databaseUrl, tickets);
  const oversold = check.ticketsWithTwoLiveOrders + check.ordersPaidTwice + Math.abs(check.completeOrders - completed);

  const perSecond = median(rounds.a.map((r) => r.perSecond));
  const bareTrips = median(rounds.b.map((r) => r.perSecond));
  const bareRequest = (p: number) => ({ name: `bare request, ${config.buyers} at once`, value: percentile(bareLatencies, p) });
  const figures: Figure[] = [
    figure(GROUP, `purchases/s, ${config.buyers} buyers`, perSecond, '/s', { name: '3 bare requests each', value: bareTrips }, {
      text: '>= 100/s',
      met: perSecond >= 100,
    }),
    figure(GROUP, 'oversold tickets (and double or lost payments)', oversold, '', { name: 'allowed', value: 0 }, {
      text: '= 0',
      met: oversold === 0 && failures.length === 0,
    }),
  ];
  for (const [step, label] of [
    ['order', 'create order'],
    ['pay', 'pay, one request (payments waits for a new order)'],
    ['complete', 'order complete visible (pushed on its stream, after pay answers)'],
  ] as const) {
    for (const p of [50, 99]) {
      figures.push(figure(GROUP, `${label}, p${p}`, percentile(steps[step], p), 'ms', bareRequest(p)));
    }
  }
  const cpuMsPerPurchase = Object.fromEntries(
    Object.entries(cpu)
      .map(([role, ms]) => [role, round(ms / completed, 2)] as const)
      .filter(([, ms]) => ms >= 0.05)
      .sort((x, y) => y[1] - x[1]),
  );
  // The asking is load too: each early pay attempt and each stream opened costs the services CPU.
  const requestsPerPurchase = {
    order: 1,
    pay: round(steps.payAttempts / completed, 2),
    streams: round(steps.streams / completed, 2),
  };
  return {
    figures,
    details: { cpuMsPerPurchase, requestsPerPurchase, rounds: rounds.a, bareRounds: rounds.b, check, failures: failures.slice(0, 20), failureCount: failures.length },
  };
}

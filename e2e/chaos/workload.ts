import type { UrlFor } from '@ticketing/testkit/api-user';
import { ApiUser, viaRoutes, type ApiResponse } from '../client.js';
import type { RunningSystem } from '../system.js';

/**
 * The chaos run's traffic: many users buying tickets at once while services die under them.
 * Each flow sells a ticket, has a buyer (sometimes racing a rival) order it, then pays (at
 * once, or at the last moment, racing the expiry), cancels, or lets the order expire; or starts
 * paying through a payment intent it never confirms (the order awaits its payment) and then
 * cancels or lets it expire. What a flow records is only what the APIs answered;
 * the invariants later compare that with the databases.
 */

/**
 * `pay-late` pays just before the order's deadline, racing its expiry. `intent-cancel` and
 * `intent-expire` start the order's payment intent first, so the order is cancelled from
 * `awaiting:payment`.
 */
export type FlowKind = 'pay' | 'pay-late' | 'cancel' | 'expire' | 'intent-cancel' | 'intent-expire';

export interface FlowRecord {
  kind: FlowKind;
  ticketId?: string;
  orderId?: string;
  /** The user whose order holds the ticket (the buyer, or the rival who won the race). */
  buyer?: ApiUser;
  /** Orders that answered 201 for this ticket: more than one is a violation. */
  ordersTaken: number;
  /** A rival tried to order the same ticket at the same moment. */
  raced?: boolean;
  paymentStatus?: number;
  /** What POST /api/payments/intents answered. */
  intentStatus?: number;
  /** The buyer saw the order `awaiting:payment` (GET /api/orders/:id). */
  awaited?: boolean;
  cancelStatus?: number;
  /** Why the flow stopped early (e.g. no answer in time); not a violation by itself. */
  abandoned?: string;
}

/**
 * A user whose requests ride out a service restart or an outage: a refused or cut connection
 * is retried, and so is a 5xx answer (the service's database or provider is away: nothing was
 * committed), for up to `patienceMs`. A POST that was cut after its service committed is
 * retried too; flows allow for that (a retried order finds the ticket reserved by the buyer's
 * own first attempt).
 */
export class ChaosUser extends ApiUser {
  constructor(
    urlFor: UrlFor,
    private readonly patienceMs: number,
  ) {
    super(urlFor);
  }

  static async signUpPatiently(system: RunningSystem, patienceMs: number): Promise<ChaosUser> {
    const user = new ChaosUser(viaRoutes(system), patienceMs);
    const credentials = { email: user.email, password: user.password };
    let res = await user.post('/api/users/signup', credentials);
    // 400 after a cut signup that went through: the email is taken by this very user.
    if (res.status === 400) res = await user.post('/api/users/signin', credentials);
    if (res.status !== 201 && res.status !== 200) throw new Error(`signup failed: ${res.status} ${JSON.stringify(res.body)}`);
    user.id = res.body.id;
    return user;
  }

  override async request(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    const deadline = Date.now() + this.patienceMs;
    for (;;) {
      try {
        const res = await super.request(method, path, body);
        if (res.status < 500 || Date.now() > deadline) return res;
      } catch (err) {
        // fetch's TypeError (refused, reset) or a body cut short (SyntaxError): the service died.
        if (!(err instanceof TypeError || err instanceof SyntaxError) || Date.now() > deadline) throw err;
      }
      await sleep(100 + Math.random() * 200);
    }
  }
}

export interface WorkloadOptions {
  flows: number;
  concurrency: number;
  /** Users signed up before the run, shared by the flows. */
  users: number;
  /** Share of flows in which a second buyer races for the same ticket. */
  rivalShare: number;
  /** Flow starts are spread evenly over this long, so the faults hit every stage of the run. */
  spreadOverMs: number;
  /** How long a charge takes (the provider's round trip), to time payments made at the deadline. */
  chargeLatencyMs: number;
  /** How long a flow waits for a service or an event that is held up: longer than the longest outage. */
  patienceMs: number;
}

export interface Workload {
  records: FlowRecord[];
  /** Flows that threw (an unexpected answer): each is a violation. */
  failures: string[];
}

/** Runs `flows` purchase flows, `concurrency` at a time, over a pool of users. */
export async function runWorkload(system: RunningSystem, options: WorkloadOptions): Promise<Workload> {
  const users: ChaosUser[] = [];
  for (let i = 0; i < options.users; i++) users.push(await ChaosUser.signUpPatiently(system, options.patienceMs));
  const records: FlowRecord[] = [];
  const failures: string[] = [];
  let next = 0;
  const started = Date.now();
  const worker = async () => {
    while (next < options.flows) {
      const n = next++;
      await sleep(started + (n * options.spreadOverMs) / options.flows - Date.now());
      const kind: FlowKind = (['pay', 'pay-late', 'pay', 'cancel', 'expire', 'intent-cancel', 'intent-expire'] as const)[n % 7]!;
      const [seller, buyer, rival] = pick(users, 3);
      const record: FlowRecord = { kind, ordersTaken: 0 };
      records.push(record);
      try {
        await runFlow(record, { seller: seller!, buyer: buyer!, rival: Math.random() < options.rivalShare ? rival : undefined }, options);
      } catch (err) {
        failures.push(`flow ${n} (${kind}): ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return { records, failures };
}

async function runFlow(
  record: FlowRecord,
  people: { seller: ChaosUser; buyer: ChaosUser; rival?: ChaosUser },
  options: WorkloadOptions,
) {
  const sold = await people.seller.post('/api/tickets', { title: `Chaos ${record.kind}`, price: 5 + Math.floor(Math.random() * 100) });
  if (sold.status !== 201) throw new Error(`selling answered ${sold.status} ${JSON.stringify(sold.body)}`);
  record.ticketId = sold.body.id as string;

  const buyers = people.rival ? [people.buyer, people.rival] : [people.buyer];
  record.raced = buyers.length > 1;
  const attempts = await Promise.all(buyers.map((b) => orderTicket(b, record.ticketId!, options.patienceMs)));
  const won = attempts.filter((a) => a.order);
  record.ordersTaken = won.length;
  if (won.length === 0) {
    record.abandoned = attempts.map((a) => a.why).join('; ');
    return;
  }
  const { order, user } = won[0]!;
  record.orderId = order!.id;
  record.buyer = user;

  if (record.kind === 'pay' || record.kind === 'pay-late') {
    const deadline = new Date(order!.expiresAt).getTime();
    // Timed so the charge ends within a second around the deadline: some payments complete,
    // some are refused, and some are recorded just as the expiry cancels the order.
    if (record.kind === 'pay-late') await sleep(deadline - options.chargeLatencyMs - 300 + 1000 * Math.random() - Date.now());
    // Until past the deadline: orders may be down (503), or payments restarting.
    const until = deadline + 1000;
    for (;;) {
      const paid = await user.post('/api/payments', { orderId: record.orderId, token: 'tok_visa' });
      record.paymentStatus = paid.status;
      if (!tryAgain(paid.status) || Date.now() > until) break;
      await sleep(200);
    }
    if (tryAgain(record.paymentStatus)) record.abandoned = 'payments could not answer for the order';
    else if (record.paymentStatus !== 201 && record.paymentStatus !== 400) {
      throw new Error(`paying answered ${record.paymentStatus}`);
    }
  } else if (record.kind === 'intent-cancel' || record.kind === 'intent-expire') {
    await startPaying(record, user, new Date(order!.expiresAt).getTime() + 1000, options.patienceMs);
    if (record.kind === 'intent-cancel' && !record.abandoned) await cancel(record, user);
  } else if (record.kind === 'cancel') {
    await cancel(record, user);
  }
  // 'expire': nothing to do; the order's window runs out.
}

/**
 * A payment answer worth asking again: 503, orders (asked for the order as it is now) or the
 * order's event held up by a fault; 404 from a payments replica restarting behind a fault.
 */
const tryAgain = (status: number | undefined) => status === 503 || status === 404;

async function cancel(record: FlowRecord, user: ChaosUser) {
  const cancelled = await user.delete(`/api/orders/${record.orderId}`);
  record.cancelStatus = cancelled.status;
  if (cancelled.status !== 204) throw new Error(`cancelling answered ${cancelled.status} ${JSON.stringify(cancelled.body)}`);
}

/**
 * Starts the order's payment intent, which nobody confirms (until `until`, payments may not know
 * the order yet), then waits for payment.started to reach orders: the order awaits its payment,
 * unless its time ran out first.
 */
async function startPaying(record: FlowRecord, user: ChaosUser, until: number, patienceMs: number) {
  for (;;) {
    const started = await user.post('/api/payments/intents', { orderId: record.orderId });
    record.intentStatus = started.status;
    if (!tryAgain(started.status) || Date.now() > until) break;
    await sleep(200);
  }
  if (tryAgain(record.intentStatus)) {
    record.abandoned = 'payments could not answer for the order';
    return;
  }
  // 400: the order expired (or was cancelled by expiry) before payments was asked.
  if (record.intentStatus === 400) return;
  if (record.intentStatus !== 201 && record.intentStatus !== 200) throw new Error(`starting the payment answered ${record.intentStatus}`);
  const deadline = Date.now() + patienceMs;
  for (;;) {
    const { body } = await user.get(`/api/orders/${record.orderId}`);
    if (body.status === 'awaiting:payment') {
      record.awaited = true;
      return;
    }
    if (body.status !== 'created') return;
    if (Date.now() > deadline) {
      record.abandoned = 'orders never marked the order awaiting payment';
      return;
    }
    await sleep(200);
  }
}

interface OrderAttempt {
  user: ChaosUser;
  order?: { id: string; expiresAt: string };
  why?: string;
}

/**
 * Orders a ticket: 404 while orders has no replica of it yet (retried), 409 when it is
 * reserved, either by the other buyer or by this buyer's own earlier attempt that was cut off
 * after it committed (found in the buyer's order list).
 */
async function orderTicket(user: ChaosUser, ticketId: string, patienceMs: number): Promise<OrderAttempt> {
  const deadline = Date.now() + patienceMs;
  for (;;) {
    const res = await user.post('/api/orders', { ticketId });
    if (res.status === 201) return { user, order: res.body };
    if (res.status === 409) {
      const mine = await user.get('/api/orders');
      const live = (mine.body as { id: string; status: string; expiresAt: string; ticket: { id: string } }[]).find(
        (o) => o.ticket.id === ticketId && o.status !== 'cancelled',
      );
      return live ? { user, order: live } : { user, why: 'reserved by someone else' };
    }
    if (res.status !== 404) throw new Error(`ordering answered ${res.status} ${JSON.stringify(res.body)}`);
    if (Date.now() > deadline) return { user, why: 'orders never learned of the ticket' };
    await sleep(200);
  }
}

function pick<T>(items: T[], n: number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, n);
}

// A deadline already past means no wait (a negative delay is a warning since Node 23).
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

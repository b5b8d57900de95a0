import pg from 'pg';
import type { ApiUser } from '@ticketing/testkit/api-user';
import type { RawJetStream } from './baselines.js';
import type { BenchConfig } from './config.js';
import { figure, type Figure } from './report.js';
import { alternate, now, percentile, round, sleep } from './stats.js';

const GROUP = '3. Event lag: POST /api/tickets answered 201 -> ticket orderable in orders';
const CHANNEL = 'bench_ticket_replicated';

/**
 * Tells the moment the orders service commits its replica of a ticket: a trigger on its
 * `tickets` table sends a notification, which PostgreSQL delivers on commit. Exact, and no
 * polling load on a machine the system shares with the benchmark.
 */
export class ReplicaWatch {
  /** When each ticket id was replicated; a notification can arrive before its POST answers. */
  private readonly seen = new Map<string, number>();
  private readonly waiting = new Map<string, (at: number) => void>();

  private constructor(private readonly client: pg.Client) {
    client.on('notification', (n) => {
      if (n.channel !== CHANNEL || !n.payload) return;
      const at = now();
      this.seen.set(n.payload, at);
      this.waiting.get(n.payload)?.(at);
    });
  }

  static async open(ordersDatabaseUrl: string): Promise<ReplicaWatch> {
    const client = new pg.Client({ connectionString: ordersDatabaseUrl });
    await client.connect();
    await client.query(`
      create or replace function ${CHANNEL}() returns trigger language plpgsql as $$
      begin perform pg_notify('${CHANNEL}', new.id::text); return new; end $$`);
    await client.query(`drop trigger if exists ${CHANNEL} on tickets`);
    await client.query(
      `create trigger ${CHANNEL} after insert on tickets for each row execute function ${CHANNEL}()`,
    );
    await client.query(`listen ${CHANNEL}`);
    return new ReplicaWatch(client);
  }

  /** The time the orders service committed its replica of ticket `id`. */
  replicatedAt(id: string): Promise<number> {
    const at = this.seen.get(id);
    if (at !== undefined) return Promise.resolve(at);
    return new Promise((resolve) => {
      this.waiting.set(id, (time) => {
        this.waiting.delete(id);
        resolve(time);
      });
    });
  }

  async close() {
    await this.client.query(`drop trigger if exists ${CHANNEL} on tickets`).catch(() => {});
    await this.client.end();
  }
}

interface Sample {
  ticketId: string;
  /** Wall-clock times (ms since the epoch, sub-ms), comparable with the databases' timestamps. */
  answeredAt: number;
  replicatedAt: number;
}

const wallClock = (t: number) => performance.timeOrigin + t;

/** One sample: sell a ticket, then wait until the orders service has it. */
async function lagSample(seller: ApiUser, watch: ReplicaWatch): Promise<Sample> {
  const ticket = await seller.expect(201, 'POST', '/api/tickets', { title: 'Lag probe', price: 10 });
  const answeredAt = wallClock(now());
  return { ticketId: ticket.id, answeredAt, replicatedAt: wallClock(await watch.replicatedAt(ticket.id)) };
}

/** The milliseconds from the 201 until orders has the ticket (0 if it already had it). */
const lagOf = (s: Sample) => Math.max(0, s.replicatedAt - s.answeredAt);

/**
 * Where the time goes, per sample, from the databases' own records: the POST's transaction
 * start (outbox created_at), its answer, the relay's publish (sent_at, which may come before
 * the answer reaches the client), the orders handler's transaction start (inbox
 * processed_at) and its commit (the notification).
 */
async function hops(samples: Sample[], databaseUrl: (service: string) => string) {
  const query = async (service: string, sql: string, params: unknown[]) => {
    const client = new pg.Client({ connectionString: databaseUrl(service) });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows;
    } finally {
      await client.end();
    }
  };
  const events = await query(
    'tickets',
    `select payload->>'id' as ticket, id::text as event,
            extract(epoch from created_at) * 1000 as created, extract(epoch from sent_at) * 1000 as sent
     from outbox where subject = 'ticket.created' and payload->>'id' = any($1)`,
    [samples.map((s) => s.ticketId)],
  );
  const handled = new Map(
    (
      await query(
        'orders',
        `select event_id, extract(epoch from processed_at) * 1000 as at from inbox
         where consumer = 'orders-ticket-created' and event_id = any($1)`,
        [events.map((e) => e.event)],
      )
    ).map((r) => [r.event_id as string, Number(r.at)]),
  );
  const bySample = new Map(samples.map((s) => [s.ticketId, s]));
  const steps: Record<string, number[]> = {
    'POST transaction start -> 201 answered': [],
    '201 answered -> published by the relay': [],
    'published -> orders handler starts': [],
    'handler start -> replica committed': [],
  };
  for (const e of events) {
    const sample = bySample.get(e.ticket);
    const start = handled.get(e.event);
    if (!sample || start === undefined || e.sent === null) continue;
    steps['POST transaction start -> 201 answered']!.push(sample.answeredAt - Number(e.created));
    steps['201 answered -> published by the relay']!.push(Number(e.sent) - sample.answeredAt);
    steps['published -> orders handler starts']!.push(start - Number(e.sent));
    steps['handler start -> replica committed']!.push(sample.replicatedAt - start);
  }
  return Object.fromEntries(
    Object.entries(steps).map(([step, ms]) => [step, { p50: round(percentile(ms, 50), 2), p99: round(percentile(ms, 99), 2) }]),
  );
}

export async function eventLag(options: {
  seller: ApiUser;
  watch: ReplicaWatch;
  raw: RawJetStream;
  databaseUrl: (service: string) => string;
  config: BenchConfig;
}) {
  const { seller, watch, raw, databaseUrl, config } = options;
  const samples: Sample[] = [];
  const baseline: number[] = [];
  // Warm-up: the first events pay for connections and plans on every hop.
  for (let i = 0; i < 5; i++) {
    await lagSample(seller, watch);
    await raw.roundTrip();
  }
  await alternate(
    config.lagSamples,
    async () => {
      samples.push(await lagSample(seller, watch));
      await sleep(config.lagPauseMs);
    },
    async () => {
      baseline.push(await raw.roundTrip());
      await sleep(config.lagPauseMs);
    },
  );
  const system = samples.map(lagOf);
  const p50 = percentile(system, 50);
  const p99 = percentile(system, 99);
  const raw50 = percentile(baseline, 50);
  const raw99 = percentile(baseline, 99);
  const rawTrip = (value: number) => ({ name: 'raw JetStream round trip', value });
  const figures: Figure[] = [
    figure(GROUP, 'p50', p50, 'ms', rawTrip(raw50), { text: '<= 2x raw + 5 ms', met: p50 <= 2 * raw50 + 5 }),
    figure(GROUP, 'p99', p99, 'ms', rawTrip(raw99), { text: '< 50 ms', met: p99 < 50 }),
  ];
  return { figures, details: { hops: await hops(samples, databaseUrl), systemMs: system, rawMs: baseline } };
}

import pg from 'pg';
import type { ApiUser } from './api.js';
import type { RawJetStream } from './baselines.js';
import type { BenchConfig } from './config.js';
import { figure, type Figure } from './report.js';
import { alternate, now, percentile, sleep } from './stats.js';

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

/** One sample: sell a ticket, then the milliseconds from the 201 until orders has it (0 if it already had). */
async function lagSample(seller: ApiUser, watch: ReplicaWatch): Promise<number> {
  const ticket = await seller.expect(201, 'POST', '/api/tickets', { title: 'Lag probe', price: 10 });
  const answered = now();
  return Math.max(0, (await watch.replicatedAt(ticket.id)) - answered);
}

export async function eventLag(options: { seller: ApiUser; watch: ReplicaWatch; raw: RawJetStream; config: BenchConfig }) {
  const { seller, watch, raw, config } = options;
  const system: number[] = [];
  const baseline: number[] = [];
  // Warm-up: the first events pay for connections and plans on every hop.
  for (let i = 0; i < 5; i++) {
    await lagSample(seller, watch);
    await raw.roundTrip();
  }
  await alternate(
    config.lagSamples,
    async () => {
      system.push(await lagSample(seller, watch));
      await sleep(config.lagPauseMs);
    },
    async () => {
      baseline.push(await raw.roundTrip());
      await sleep(config.lagPauseMs);
    },
  );
  const p50 = percentile(system, 50);
  const p99 = percentile(system, 99);
  const raw50 = percentile(baseline, 50);
  const raw99 = percentile(baseline, 99);
  const rawTrip = (value: number) => ({ name: 'raw JetStream round trip', value });
  const figures: Figure[] = [
    figure(GROUP, 'p50', p50, 'ms', rawTrip(raw50), { text: '<= 2x raw + 5 ms', met: p50 <= 2 * raw50 + 5 }),
    figure(GROUP, 'p99', p99, 'ms', rawTrip(raw99), { text: '< 50 ms', met: p99 < 50 }),
  ];
  return { figures, details: { systemMs: system, rawMs: baseline } };
}

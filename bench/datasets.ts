import pg from 'pg';

/**
 * Ticket data sets of different sizes, loaded in bulk straight into the tickets database
 * (generate_series, no events: the read path needs only the tickets service's own table).
 *
 * Each set is a copy of the `tickets` table (same columns, defaults and indexes). `use`
 * swaps one in under the name `tickets` by renaming tables in one transaction, which takes
 * milliseconds, so rounds at different sizes can alternate on the running system. The
 * service's own table is set aside as `bench_tickets_live` meanwhile.
 */
export class TicketDatasets {
  private active = 'live';

  private constructor(private readonly client: pg.Client) {}

  static async connect(url: string): Promise<TicketDatasets> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    return new TicketDatasets(client);
  }

  /** Creates the set `name` with `count` tickets; one in ten is reserved, as in a live store. */
  async create(name: string, count: number): Promise<void> {
    const table = `bench_tickets_${name}`;
    await this.client.query(`drop table if exists ${table}`);
    await this.client.query(`create table ${table} (like tickets including all)`);
    // The service reads as its own role, which owns its database (devkit's ownDatabase) and
    // must own the set too, or it is refused once the set is renamed to `tickets`.
    await this.client.query(`do $$ begin execute format('alter table %I owner to %I', '${table}', current_database()); end $$`);
    await this.client.query(
      `insert into ${table} (id, title, price_cents, user_id, version, order_id)
       select gen_random_uuid(),
              'Concert ticket #' || g,
              1000 + (g * 37) % 50000,
              ('00000000-0000-4000-8000-' || lpad(to_hex(g % 1000), 12, '0'))::uuid,
              0,
              case when g % 10 = 0 then gen_random_uuid() end
       from generate_series(1, $1::int) as g`,
      [count],
    );
    // Vacuumed and analysed now, so autovacuum does not do it during the measurements.
    await this.client.query(`vacuum (analyze) ${table}`);
  }

  /** Writes out what the loading left in memory now, not in a checkpoint during a measurement. */
  async settle(): Promise<void> {
    await this.client.query('checkpoint');
  }

  /** Makes the set `name` (or the service's own table, 'live') the one the service reads. */
  async use(name: string): Promise<void> {
    if (name === this.active) return;
    await this.client.query('begin');
    try {
      await this.client.query(`alter table tickets rename to bench_tickets_${this.active}`);
      await this.client.query(`alter table bench_tickets_${name} rename to tickets`);
      await this.client.query('commit');
    } catch (err) {
      await this.client.query('rollback');
      throw err;
    }
    this.active = name;
    // The copies carry no trigger: the service's page caches hear of the swap from here.
    await this.client.query('notify tickets_changed');
  }

  /** The plan and timing of the list query at the current size, for the report. */
  async explainList(limit = 51): Promise<string> {
    const { rows } = await this.client.query(
      `explain (analyze, buffers) select * from tickets where order_id is null order by seq desc limit ${limit}`,
    );
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  }

  async close(): Promise<void> {
    await this.use('live').catch(() => {});
    await this.client.end();
  }
}

import { count, isNull, lt } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { EventTransport } from '../bus/transport.js';
import { advisoryLocks } from '../db/advisory-locks.js';
import { atCommit, type Database } from '../db/database.js';
import { outbox } from '../db/messaging-tables.js';
import type { Metrics } from '../service/metrics.js';
import { PeriodicWorker } from '../service/worker.js';

export type OutboxRow = typeof outbox.$inferSelect;
/** What publishing needs of a row, and its seq (a bigint, as the driver reads it: a string). */
type Unsent = Pick<OutboxRow, 'id' | 'subject' | 'payload' | 'traceparent'> & { seq: string };
type UnsentRow = { locked: boolean } & (Unsent | { [K in keyof Unsent]: null });

const BATCH = 100;
/** What a pass finds when another replica holds the relay lock. */
const BUSY = Symbol('busy');
/** Sent rows are kept a day for inspection; JetStream's de-duplication needs far less. */
const KEEP_SENT_MS = 24 * 60 * 60 * 1000;
const PRUNE_EVERY_MS = 10 * 60 * 1000;

/** Publishes one outbox row. The event id is the transport's de-duplication key, so a re-publish is dropped. */
export function publishOutboxRow(bus: EventTransport, row: Pick<OutboxRow, 'id' | 'subject' | 'payload' | 'traceparent'>) {
  return bus.publish(row.subject, JSON.stringify(row.payload), {
    id: row.id,
    headers: { traceparent: row.traceparent ?? undefined },
  });
}

/**
 * Moves committed events from the outbox to the bus. Every replica hears every commit that wrote
 * to the outbox (the table's trigger notifies channel `outbox`, see DatabaseNotifications), so a
 * pass starts right after any replica's commit; the replica holding the relay lock hears it too
 * and makes one more pass, so no other replica needs to retry. A slow timer, and a pass at start,
 * pick up what no commit announces: a crash between commit and publish, the bus being down, a
 * lost notification connection. A crash between publish and marking sent only causes a
 * re-publish, which JetStream de-duplicates by event id.
 */
export class OutboxRelay {
  private readonly worker: PeriodicWorker;
  private lastPrune = 0;
  private lastBacklog = 0;
  private lastPass: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly database: Database,
    private readonly bus: EventTransport,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    private readonly intervalMs = 5000,
  ) {
    // While the bus is away, passes back off to twice the interval: events flow again soon after it is back.
    this.worker = new PeriodicWorker('outboxRelay', () => this.publishAll(), { intervalMs, logger, maxBackoffMs: 2 * intervalMs });
  }

  start() {
    return this.worker.start();
  }

  /** Asks for a pass soon; passes never overlap and a kick during one causes one more. */
  kick() {
    this.worker.kick();
  }

  /**
   * Publishes everything unsent now, after any pass already under way in this process;
   * returns how many events this call sent. (Another replica may hold the relay lock, in
   * which case it is the one publishing.)
   */
  async flush(): Promise<number> {
    return this.publishAll({ measure: true }).catch((err: unknown) => {
      if (err instanceof PublishFailed) return err.sent;
      throw err;
    });
  }

  /**
   * Publishes until the outbox is empty, after any pass already under way in this process (two
   * at once would only find each other holding the lock); throws PublishFailed when the bus
   * refused an event (the worker then backs off).
   */
  private publishAll(options: { measure?: boolean } = {}): Promise<number> {
    const pass = this.lastPass.then(() => this.publishAllNow(options));
    this.lastPass = pass.catch(() => {});
    return pass;
  }

  private async publishAllNow({ measure = false }): Promise<number> {
    let total = 0;
    let refused: unknown;
    for (;;) {
      const batch = await this.publishBatch();
      // Another replica is relaying: it hears this commit too and makes a pass after its own.
      if (batch === BUSY) break;
      total += batch.sent;
      refused = batch.refused;
      if (refused || batch.sent < BATCH) break;
    }
    // Counting the backlog costs a query: once per interval is enough for a gauge, and keeps
    // it off the path of the next commit's events under load.
    if (measure || Date.now() - this.lastBacklog >= this.intervalMs) await this.measureBacklog();
    if (Date.now() - this.lastPrune > PRUNE_EVERY_MS) await this.pruneSent();
    if (refused) throw new PublishFailed(total, refused);
    return total;
  }

  async stop() {
    await this.worker.stop();
    // Last pass so nothing committed before shutdown waits for the next start.
    await this.publishAll().catch((err) => this.logger.warn({ err }, 'final outbox pass failed'));
  }

  private publishBatch(): Promise<{ sent: number; refused?: unknown } | typeof BUSY> {
    // Two round trips a pass: the lock and the batch with BEGIN, the marking with COMMIT.
    return this.database.transaction(
      async (tx, opened) => {
        const rows = (opened?.rows ?? []) as UnsentRow[];
        if (!rows[0]?.locked) return BUSY; // another replica is relaying right now
        const batch = rows.filter((row) => row.seq !== null).map(({ locked: _, ...row }) => row as Unsent);
        // All of the batch is sent at once and the acks awaited together: one connection keeps
        // the messages in order, and the batch costs one round trip instead of one per event.
        const acks = await Promise.allSettled(batch.map((row) => publishOutboxRow(this.bus, row)));
        // Marked sent: the rows before the first failure. Any after it that did reach the
        // stream go again next pass and JetStream drops them as duplicates (same event id);
        // consumers apply versions in order whatever order events arrive in.
        const failed = acks.findIndex((ack) => ack.status === 'rejected');
        const published = failed === -1 ? batch : batch.slice(0, failed);
        for (const row of published) this.metrics.eventsPublished.inc({ subject: row.subject });
        if (published.length > 0) {
          // One UPDATE for the batch; seq is a bigint the database gave, safe to write in.
          atCommit(tx, `update outbox set sent_at = now() where seq in (${published.map((row) => row.seq).join(', ')})`);
        }
        if (failed === -1) return { sent: published.length };
        const row = batch[failed]!;
        const refused = (acks[failed] as PromiseRejectedResult).reason;
        return { sent: published.length, refused: new Error(`publish of ${row.subject} ${row.id} failed`, { cause: refused }) };
      },
      {
        // The batch is read only by the replica that got the lock (no rows at all otherwise).
        opening: `select l.locked, o.seq, o.id, o.subject, o.payload, o.traceparent
          from (select pg_try_advisory_xact_lock(${advisoryLocks.outboxRelay}) as locked) l
          left join lateral (select * from outbox where sent_at is null and l.locked order by seq limit ${BATCH}) o on true`,
      },
    );
  }

  private async measureBacklog() {
    this.lastBacklog = Date.now();
    const [row] = await this.database.db
      .select({ n: count() })
      .from(outbox)
      .where(isNull(outbox.sentAt));
    this.metrics.outboxBacklog.set(row?.n ?? 0);
  }

  private async pruneSent() {
    this.lastPrune = Date.now();
    await this.database.db
      .delete(outbox)
      .where(lt(outbox.sentAt, new Date(Date.now() - KEEP_SENT_MS)));
  }
}

/** The bus refused an event: the rest wait in the outbox for a later pass. */
class PublishFailed extends Error {
  constructor(
    readonly sent: number,
    cause: unknown,
  ) {
    super('publishing from the outbox failed; will retry', { cause });
  }
}

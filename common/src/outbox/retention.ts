import { sql } from 'drizzle-orm';
import { STREAM_MAX_AGE_MS } from '../bus/bus.js';
import type { Executor } from '../db/database.js';
import type { ServiceContext } from '../service/context.js';
import { pruneRevokedSessions } from '../session/revoked-sessions.js';
import { PeriodicWorker } from '../service/worker.js';

/**
 * An inbox row only guards against a second delivery of its event, which the stream can make
 * while it holds the event: for its maximum age. A day more covers clocks and a slow consumer.
 */
export const INBOX_KEEP_MS = STREAM_MAX_AGE_MS + 24 * 60 * 60 * 1000;
/** A revoked token is kept refused this long past its expiry, in case this host's clock runs behind. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;
const PRUNE_BATCH = 5000;
const PRUNE_EVERY_MS = 60 * 60 * 1000;

/**
 * Keeps the messaging tables and the stream in bounds: every minute the stream's size goes to
 * the metrics (`stream_usage`), and every hour inbox rows the stream can no longer redeliver
 * are deleted, and so are revocations of sessions that have expired (session/revoked-sessions.ts).
 * Safe on every replica at once: a deletion repeated elsewhere finds nothing.
 */
export function messagingRetention(service: ServiceContext, intervalMs = 60_000) {
  let lastPrune = 0;
  return new PeriodicWorker(
    'messagingRetention',
    async () => {
      await measureStream(service);
      if (Date.now() - lastPrune < PRUNE_EVERY_MS) return;
      const pruned = await pruneInbox(service.database.db, new Date(Date.now() - INBOX_KEEP_MS));
      const revocations = await pruneRevokedSessions(service.database.db, new Date(Date.now() - CLOCK_SKEW_MS));
      lastPrune = Date.now();
      if (pruned > 0) service.logger.info({ pruned }, 'inbox rows past the stream\'s age pruned');
      if (revocations > 0) service.logger.info({ pruned: revocations }, 'revocations of expired sessions pruned');
    },
    { intervalMs, logger: service.logger },
  );
}

/** Deletes inbox rows processed before `before`, a batch at a time (short locks); returns how many. */
export async function pruneInbox(db: Executor, before: Date): Promise<number> {
  let total = 0;
  for (;;) {
    const { rowCount } = await db.execute(
      sql`delete from inbox where ctid in (select ctid from inbox where processed_at < ${before} limit ${PRUNE_BATCH})`,
    );
    total += rowCount ?? 0;
    if ((rowCount ?? 0) < PRUNE_BATCH) return total;
  }
}

async function measureStream(service: ServiceContext) {
  const usage = await service.bus.usage();
  service.metrics.streamUsage.set({ measure: 'bytes' }, usage.bytes);
  service.metrics.streamUsage.set({ measure: 'messages' }, usage.messages);
  service.metrics.streamUsage.set({ measure: 'max_bytes' }, usage.maxBytes);
}

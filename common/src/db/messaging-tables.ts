import { sql } from 'drizzle-orm';
import { bigserial, index, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * Tables every service's database holds for reliable messaging. Each service re-exports
 * them from its own `src/db/schema.ts`, so drizzle-kit puts them in its migrations.
 */

/** Events written in the same transaction as the change that caused them. */
export const outbox = pgTable(
  'outbox',
  {
    /** Publish order: a record's events go out in the order they were written. */
    seq: bigserial('seq', { mode: 'number' }).primaryKey(),
    /** The event id, sent as `Nats-Msg-Id` so JetStream drops a re-publish. */
    id: uuid('id').notNull().unique(),
    subject: text('subject').notNull(),
    payload: jsonb('payload').notNull(),
    traceparent: text('traceparent'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
  },
  (t) => [index('outbox_unsent_idx').on(t.seq).where(sql`${t.sentAt} is null`)],
);

/** Events a consumer has handled, recorded in the handler's transaction. */
export const inbox = pgTable(
  'inbox',
  {
    eventId: text('event_id').notNull(),
    consumer: text('consumer').notNull(),
    subject: text('subject').notNull(),
    processedAt: timestamp('processed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  // Pruning finds the rows past the stream's age by this index (see outbox/retention.ts).
  (t) => [primaryKey({ columns: [t.eventId, t.consumer] }), index('inbox_processed_at_idx').on(t.processedAt)],
);

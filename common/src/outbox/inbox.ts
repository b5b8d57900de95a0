import { literal, type Executor } from '../db/database.js';
import { inbox } from '../db/messaging-tables.js';

/**
 * Records that `consumer` handled `eventId`, in the handler's transaction. Returns false if
 * it was already recorded: the event is a redelivery and must have no second effect.
 */
export async function recordInInbox(
  tx: Executor,
  entry: { eventId: string; consumer: string; subject: string },
): Promise<boolean> {
  const inserted = await tx
    .insert(inbox)
    .values(entry)
    .onConflictDoNothing()
    .returning({ eventId: inbox.eventId });
  return inserted.length === 1;
}

/**
 * The same record as a statement to open the handler's transaction with (sent with its BEGIN,
 * see Database.transaction): it returns one row if the event is new here, none for a redelivery.
 */
export function inboxEntry(entry: { eventId: string; consumer: string; subject: string }): string {
  return `insert into inbox (event_id, consumer, subject) values (${literal(entry.eventId)}, ${literal(entry.consumer)}, ${literal(entry.subject)}) on conflict do nothing returning event_id`;
}

import type { Executor } from '../db/database.js';
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

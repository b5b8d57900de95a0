import { randomUUID } from 'node:crypto';
import { eventSchemas, type EventPayload, type Subject } from '@ticketing/contracts';
import { atCommit, literal, type Executor } from '../db/database.js';
import { outbox } from '../db/messaging-tables.js';
import { childTraceparent, currentTraceparent } from '../bus/trace.js';

/**
 * Writes an event to the outbox inside the caller's transaction: the event exists if and
 * only if the change that caused it commits. The relay publishes it after the commit.
 * Returns the event id. In a transaction of Database.transaction the row is written with the
 * COMMIT, in its round trip; the event is checked against its contract here all the same.
 */
export async function enqueueEvent<S extends Subject>(
  tx: Executor,
  subject: S,
  payload: EventPayload<S>,
): Promise<string> {
  const valid = eventSchemas[subject].parse(payload);
  const row = { id: randomUUID(), subject, payload: valid, traceparent: childTraceparent(currentTraceparent()) };
  const values = [row.id, row.subject, JSON.stringify(row.payload), row.traceparent].map(literal).join(', ');
  if (!atCommit(tx, `insert into outbox (id, subject, payload, traceparent) values (${values})`)) {
    await tx.insert(outbox).values(row);
  }
  return row.id;
}

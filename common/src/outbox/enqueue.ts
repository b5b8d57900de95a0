import { randomUUID } from 'node:crypto';
import { eventSchemas, type EventPayload, type Subject } from '@ticketing/contracts';
import type { Executor } from '../db/database.js';
import { outbox } from '../db/messaging-tables.js';
import { childTraceparent, currentTraceparent } from '../bus/trace.js';

/**
 * Writes an event to the outbox inside the caller's transaction: the event exists if and
 * only if the change that caused it commits. The relay publishes it after the commit.
 * Returns the event id.
 */
export async function enqueueEvent<S extends Subject>(
  tx: Executor,
  subject: S,
  payload: EventPayload<S>,
): Promise<string> {
  const valid = eventSchemas[subject].parse(payload);
  const id = randomUUID();
  await tx.insert(outbox).values({
    id,
    subject,
    payload: valid,
    traceparent: childTraceparent(currentTraceparent()),
  });
  return id;
}

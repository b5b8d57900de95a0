import type { EventPayload } from '@ticketing/contracts';
import { eq, lt } from 'drizzle-orm';
import { index, pgTable, timestamp, uuid } from 'drizzle-orm/pg-core';
import { defineListener } from '../bus/listener.js';
import type { Executor } from '../db/database.js';
import type { RevocationCheck } from './session-token.js';

/**
 * Revoked sessions, by token `jti`: every service's database holds them (each service's
 * `src/db/schema.ts` re-exports the table, so drizzle-kit puts it in its migrations), and
 * refuses those tokens. Auth writes a row when it revokes a session; tickets, orders and
 * payments write one from its `session.revoked` event. A row is needed only until the token
 * expires: the retention worker (outbox/retention.ts) deletes it after that.
 */
export const revokedSessions = pgTable(
  'revoked_sessions',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('revoked_sessions_expires_at_idx').on(t.expiresAt)],
);

export type RevokedSession = EventPayload<'session.revoked'>;

/** Records a revocation; a second one for the same session changes nothing. */
export async function recordRevokedSession(db: Executor, session: RevokedSession): Promise<void> {
  await db
    .insert(revokedSessions)
    .values({ id: session.id, userId: session.userId, expiresAt: new Date(session.expiresAt) })
    .onConflictDoNothing();
}

/** tickets, orders and payments: a session auth revoked is refused here too from now on. */
export const sessionRevokedListener = defineListener('session.revoked', (session, { tx }) =>
  recordRevokedSession(tx, session),
);

/** The verifier's question, answered from this service's own table (a primary-key lookup). */
export function revokedSessionsCheck(db: Executor): RevocationCheck {
  return async (sessionId) => {
    const [row] = await db.select({ id: revokedSessions.id }).from(revokedSessions).where(eq(revokedSessions.id, sessionId));
    return row !== undefined;
  };
}

/**
 * Deletes revocations of tokens that expired before `before` (they are refused as expired
 * anyway); returns how many.
 */
export async function pruneRevokedSessions(db: Executor, before: Date): Promise<number> {
  const result = await db.delete(revokedSessions).where(lt(revokedSessions.expiresAt, before));
  return result.rowCount ?? 0;
}

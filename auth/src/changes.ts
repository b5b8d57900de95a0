// Every write the auth service makes to its own database: its users, their sessions (and the
// session.revoked event each revocation publishes). The abuse limits keep their own table
// (abuse-limits.ts).
import { enqueueEvent, recordRevokedSession, type Db, type Executor, type Tx } from '@ticketing/common';
import { and, eq, gt, isNull, lt } from 'drizzle-orm';
import { sessions, users, type User } from './db/schema.js';

/** A new account, or undefined when the email is taken. */
export async function createUser(db: Db, user: { email: string; passwordHash: string }): Promise<User | undefined> {
  // The unique index decides, so two simultaneous signups cannot both win.
  const [created] = await db.insert(users).values(user).onConflictDoNothing({ target: users.email }).returning();
  return created;
}

/** A password hash made again with the current scheme (sign-in, from an older one). */
export async function replacePasswordHash(db: Db, userId: string, passwordHash: string): Promise<void> {
  await db.update(users).set({ passwordHash }).where(eq(users.id, userId));
}

/** A session just issued (its token's `jti` and expiry), so it can be revoked later. */
export async function recordSession(db: Executor, session: { id: string; userId: string; expiresAt: Date }): Promise<void> {
  await db.insert(sessions).values(session);
}

/**
 * Revokes the user's live sessions (only `sessionId`, when given): each is marked revoked,
 * refused here at once (`revoked_sessions`), and announced to the other services by a
 * session.revoked in the same transaction. Returns how many were live.
 */
export async function revokeSessions(tx: Tx, userId: string, sessionId?: string): Promise<number> {
  const revoked = await tx
    .update(sessions)
    .set({ revokedAt: new Date() })
    .where(
      and(
        eq(sessions.userId, userId),
        sessionId === undefined ? undefined : eq(sessions.id, sessionId),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, new Date()),
      ),
    )
    .returning();
  for (const s of revoked) {
    const event = { id: s.id, userId: s.userId, expiresAt: s.expiresAt.toISOString() };
    await recordRevokedSession(tx, event);
    await enqueueEvent(tx, 'session.revoked', event);
  }
  return revoked.length;
}

/** Sessions whose token expired before `before` can no longer be used nor revoked: deleted. */
export async function pruneExpiredSessions(db: Db, before: Date): Promise<number> {
  const result = await db.delete(sessions).where(lt(sessions.expiresAt, before));
  return result.rowCount ?? 0;
}

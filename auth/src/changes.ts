// Every write the auth service makes to its own database: its users, and the failed sign-ins
// that the sign-in limit counts (signin-limit.ts). Auth publishes no events.
import type { Db, Tx } from '@ticketing/common';
import { eq, lt, type SQL } from 'drizzle-orm';
import { signinFailures, users, type User } from './db/schema.js';

/** A new account, or undefined when the email is taken. */
export async function createUser(db: Db, user: { email: string; passwordHash: string }): Promise<User | undefined> {
  // The unique index decides, so two simultaneous signups cannot both win.
  const [created] = await db.insert(users).values(user).onConflictDoNothing({ target: users.email }).returning();
  return created;
}

/** One failed (or not yet checked) sign-in for `email`, inside the limit's locked transaction. */
export async function recordSigninFailure(tx: Tx, email: string): Promise<void> {
  await tx.insert(signinFailures).values({ email });
}

/** A successful sign-in wipes the email's failures (including its own provisional one). */
export async function clearFailures(db: Db, email: string): Promise<void> {
  await db.delete(signinFailures).where(eq(signinFailures.email, email));
}

/** Failures from before the window (`windowStart`) no longer count: they are deleted now and then. */
export async function pruneExpiredFailures(db: Db, windowStart: SQL): Promise<number> {
  const result = await db.delete(signinFailures).where(lt(signinFailures.attemptedAt, windowStart));
  return result.rowCount ?? 0;
}

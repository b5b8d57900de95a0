import { advisoryLocks, PeriodicWorker, tooManyRequests, type ServiceContext } from '@ticketing/common';
import { and, desc, eq, gt, sql } from 'drizzle-orm';
import { pruneExpiredFailures, recordSigninFailure } from './changes.js';
import { signinFailures } from './db/schema.js';

/** 10 failed sign-ins for one email within 15 minutes lock further attempts until the oldest ages out. */
export const MAX_FAILURES = 10;
export const WINDOW_SECONDS = 15 * 60;

/** Where the window begins: failures before it no longer count. */
export const windowStart = sql`(now() - make_interval(secs => ${WINDOW_SECONDS}))`;

/**
 * Admits one sign-in attempt for `email`, or throws 429 with `Retry-After`.
 *
 * The attempt is recorded as a failure *before* the password is checked and forgiven by
 * `clearFailures` (changes.ts) if it succeeds. Counting and recording happen under a per-email
 * lock, so concurrent attempts (on any replica) cannot together get past 10 guesses; the lock
 * is held for two short queries only, never during the slow password hash. Time is the
 * database's, the same for all replicas.
 */
export async function admitSigninAttempt(service: ServiceContext, email: string): Promise<void> {
  const retryAfter = await service.database.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${advisoryLocks.signinAttemptsNamespace}, hashtext(${email}))`);
    // The 10th most recent failure in the window: once it ages out, fewer than 10 remain.
    const [limiting] = await tx
      .select({
        retryAfter: sql<number>`greatest(1, ceil(extract(epoch from ${signinFailures.attemptedAt} - ${windowStart})))::int`,
      })
      .from(signinFailures)
      .where(and(eq(signinFailures.email, email), gt(signinFailures.attemptedAt, windowStart)))
      .orderBy(desc(signinFailures.attemptedAt))
      .offset(MAX_FAILURES - 1)
      .limit(1);
    if (limiting) return limiting.retryAfter;
    await recordSigninFailure(tx, email);
    return undefined;
  });
  if (retryAfter !== undefined) {
    throw tooManyRequests('Too many failed sign-in attempts; try again later', retryAfter);
  }
}

/** Deletes expired failures every 10 minutes, so emails nobody retries leave nothing behind. */
export const signinFailurePruning = (service: ServiceContext) =>
  new PeriodicWorker('signinFailurePruning', () => pruneExpiredFailures(service.database.db, windowStart), {
    intervalMs: 10 * 60 * 1000,
    logger: service.logger,
  });

import type { Database } from '@ticketing/common';

/**
 * The payments service's own advisory lock keys. They belong in common's registry of every
 * key (`advisoryLocks`), continuing its numbering; until then they are kept clear of its
 * values here (a test checks).
 */
export const paymentsLocks = {
  /** The refund sweeper: one replica at a time gives money back. */
  refundSweep: 7_262_020,
  /** The attempt resolver: one replica at a time asks the provider about stale attempts. */
  attemptResolver: 7_262_021,
} as const;

/**
 * Runs `pass` while holding the session advisory lock `key`, or skips it (undefined) while
 * another replica holds it. The lock lives on a connection of its own, outside any
 * transaction: a pass that waits on the provider holds no row lock, and a process that dies
 * mid-pass lets the lock go with its connection.
 */
export async function whileHolding<T>(database: Database, key: number, pass: () => Promise<T>): Promise<T | undefined> {
  const client = await database.pool.connect();
  let held = false;
  let unlocked = true;
  try {
    const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1) as locked', [key]);
    held = rows[0]?.locked === true;
    if (!held) return undefined;
    return await pass();
  } finally {
    if (held) unlocked = await client.query('select pg_advisory_unlock($1)', [key]).then(() => true, () => false);
    // A connection that may still hold the lock is closed rather than pooled.
    client.release(!unlocked);
  }
}

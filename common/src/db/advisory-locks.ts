import type { Database } from './database.js';

/**
 * Every PostgreSQL advisory lock key taken in a service's database, in one place, so no two
 * uses can share a key by accident. Single-key locks (bigint) and two-key locks (a namespace
 * int plus a second int) live in separate key spaces in PostgreSQL; the namespaces below are
 * kept distinct from the single keys all the same, so a reader never has to know that.
 */
export const advisoryLocks = {
  /** Migrations at start: one replica applies them, the others wait. */
  migrations: 7_262_001,
  /** The outbox relay: one replica at a time publishes, in order. */
  outboxRelay: 7_262_002,
  /** orders' live-orders cap: namespace of (namespace, hashtext(user id)) locks, one per buyer. */
  liveOrdersNamespace: 7_262_003,
  /** expiration: moving pg-boss 10's jobs over, once, whichever replica starts first. */
  pgBoss10Upgrade: 7_262_010,
  /** payments' refund sweeper: one replica at a time gives money back. */
  paymentsRefundSweep: 7_262_020,
  /** payments' attempt resolver: one replica at a time asks the provider about stale attempts. */
  paymentsAttemptResolver: 7_262_021,
  /** payments' intent reconciler: one replica at a time asks the provider about open intents. */
  paymentsIntentReconciler: 7_262_022,
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

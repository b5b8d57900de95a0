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
  /** auth's sign-in limit: namespace of (namespace, hashtext(email)) locks, one per email. */
  signinAttemptsNamespace: 7_262_003,
  /** expiration: moving pg-boss 10's jobs over, once, whichever replica starts first. */
  pgBoss10Upgrade: 7_262_010,
} as const;

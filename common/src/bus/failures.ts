/**
 * What a listener does with a failure. Only poison goes to the dead letters: an event that is
 * not JSON, is off its contract, or whose handler throws `PermanentFailure`. Everything else
 * passes with time (a database or network outage, a timeout, a serialization failure, an event
 * that came too early) and is retried with no cap on deliveries.
 */

/**
 * Thrown by a handler when the event came too early (e.g. version 5 before version 4): it
 * is left for redelivery and counted as out of order, not as a failure.
 */
export class RetryLater extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'RetryLater';
  }
}

/**
 * Thrown by a handler when the event can never succeed, however often it is retried (it names
 * a record this service owns and never had): the event goes to the dead letters at once.
 */
export class PermanentFailure extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'PermanentFailure';
  }
}

/** Why a delivery failed, for metrics and logs; every cause but `permanent` is retried. */
export type FailureCause = 'out_of_order' | 'unavailable' | 'conflict' | 'timeout' | 'permanent' | 'error';

/** PostgreSQL error classes and codes that pass with time. */
const UNAVAILABLE_PG = /^(08|53|57P0[1-4]|55000|55006|3D000)/; // connection, resources, shutdown, not accepting connections
const CONFLICT_PG = /^(40001|40P01|55P03)$/; // serialization failure, deadlock, lock not available
const TIMEOUT_PG = /^(57014|25P03)$/; // statement timeout, idle in transaction timeout
const UNAVAILABLE_NET = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export function failureCause(err: unknown): FailureCause {
  if (err instanceof RetryLater) return 'out_of_order';
  if (err instanceof PermanentFailure) return 'permanent';
  // Drizzle wraps the driver's error in `cause`: look down the chain.
  for (let e: unknown = err; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string') {
      if (UNAVAILABLE_PG.test(code) || UNAVAILABLE_NET.has(code)) return 'unavailable';
      if (CONFLICT_PG.test(code)) return 'conflict';
      if (TIMEOUT_PG.test(code) || code === 'ETIMEDOUT') return 'timeout';
    }
    if (typeof message === 'string') {
      if (/timeout|timed out/i.test(message)) return 'timeout';
      if (/connection (terminated|refused|ended)|not queryable|client has encountered a connection error/i.test(message)) {
        return 'unavailable';
      }
    }
  }
  return 'error';
}

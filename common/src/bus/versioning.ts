import { RetryLater } from './failures.js';

/**
 * Optimistic concurrency for replicas: every change to a record bumps its version, and a
 * replica applies only the next one. Returns true to apply; false for an old or repeated
 * version (ack and ignore); throws RetryLater for one that skips ahead (or a record not
 * replicated yet), so it is redelivered after its predecessor has been applied.
 */
export function isNextVersion(stored: { version: number } | undefined, incoming: number, what: string): boolean {
  if (!stored) throw new RetryLater(`${what} is not replicated yet`);
  if (incoming <= stored.version) return false;
  if (incoming > stored.version + 1) {
    throw new RetryLater(`${what} version ${incoming} arrived before version ${stored.version + 1}`);
  }
  return true;
}

import pRetry from 'p-retry';
import type { Logger } from 'pino';

/**
 * Connection failures that end once the other side is up: refused, a name the DNS does not
 * know yet (a container or pod that is still starting), unreachable, timed out, reset, and
 * PostgreSQL's "starting up" or "too many connections". Anything else (a wrong password, a
 * database that does not exist) no wait will fix.
 */
const TRANSIENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET', '57P03', '53300']);

export function isTransientConnectionError(err: unknown): boolean {
  const { code, cause } = (err ?? {}) as { code?: unknown; cause?: unknown };
  if (typeof code === 'string' && TRANSIENT.has(code)) return true;
  return cause !== undefined && cause !== err && isTransientConnectionError(cause);
}

export interface WaitOptions {
  logger: Logger;
  /** How long to keep trying before the start fails. */
  timeoutMs: number;
  /** Which failures are worth waiting out (default: connection failures). */
  isTransient?: (err: unknown) => boolean;
}

/**
 * Runs `connect` until it succeeds, waiting 0.25 s, then twice as long each time up to 5 s.
 * Services start in any order (in a cluster, under compose, after a node restart): one that
 * comes up before its PostgreSQL or NATS waits for it, saying so, instead of exiting and
 * leaving it to a restart policy (or, under `node --watch`, to nobody).
 */
export function waitFor<T>(what: string, connect: () => Promise<T>, options: WaitOptions): Promise<T> {
  const isTransient = options.isTransient ?? isTransientConnectionError;
  return pRetry(connect, {
    retries: Infinity,
    minTimeout: 250,
    maxTimeout: 5000,
    maxRetryTime: options.timeoutMs,
    shouldRetry: ({ error }) => isTransient(error),
    onFailedAttempt: ({ error, attemptNumber, retryDelay }) => {
      if (isTransient(error) && retryDelay > 0) {
        options.logger.warn({ err: error, attempt: attemptNumber, retryInMs: retryDelay }, `waiting for ${what}`);
      }
    },
  });
}

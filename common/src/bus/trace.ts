import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { traceIdOf } from '@ticketing/contracts';

/**
 * W3C trace context (https://www.w3.org/TR/trace-context/). A request or an incoming
 * event sets the current trace; every event it causes carries a child `traceparent`, and
 * every log line written meanwhile its trace id (the logger's mixin), so one purchase can be
 * followed across services in the logs. The header's form is the contract's (`traceIdOf`).
 */
interface Trace {
  traceparent: string;
  /** Read on every log line: taken from the header once, when the trace is set. */
  traceId: string;
}

const storage = new AsyncLocalStorage<Trace>();

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

export function isTraceparent(value: unknown): value is string {
  return typeof value === 'string' && traceIdOf(value) !== undefined;
}

const span = (traceId: string) => `00-${traceId}-${hex(8)}-01`;

/** A new span in the same trace as `parent`, or the root of a new trace. */
export function childTraceparent(parent?: string | null): string {
  return span(traceIdOf(parent) ?? hex(16));
}

/** Runs `fn` in the trace of `traceparent`, or in a new trace when it is missing or malformed. */
export function runWithTrace<T>(traceparent: string | null | undefined, fn: () => T): T {
  const given = traceIdOf(traceparent);
  const traceId = given ?? hex(16);
  return storage.run({ traceId, traceparent: given ? (traceparent as string) : span(traceId) }, fn);
}

export function currentTraceparent(): string | undefined {
  return storage.getStore()?.traceparent;
}

/** The current trace's 32-hex id, or undefined outside any trace. */
export function currentTraceId(): string | undefined {
  return storage.getStore()?.traceId;
}

/**
 * Runs `fn` outside any trace, and so does all it goes on to do: a background pass (the outbox
 * relay's, say) kicked by a request belongs to no one request, nor do the lines it logs.
 */
export function outsideTrace<T>(fn: () => T): T {
  return storage.exit(fn);
}

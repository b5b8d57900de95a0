import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { traceIdOf } from '@ticketing/contracts';

/**
 * W3C trace context (https://www.w3.org/TR/trace-context/). A request or an incoming
 * event sets the current trace; every event it causes carries a child `traceparent`, so
 * one purchase can be followed across services in the logs. The header's form is the
 * contract's (`traceIdOf`).
 */
const storage = new AsyncLocalStorage<string>();

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

export function isTraceparent(value: unknown): value is string {
  return typeof value === 'string' && traceIdOf(value) !== undefined;
}

/** A new span in the same trace as `parent`, or the root of a new trace. */
export function childTraceparent(parent?: string | null): string {
  const traceId = traceIdOf(parent) ?? hex(16);
  return `00-${traceId}-${hex(8)}-01`;
}

export function runWithTrace<T>(traceparent: string | null | undefined, fn: () => T): T {
  return storage.run(isTraceparent(traceparent) ? traceparent : childTraceparent(), fn);
}

export function currentTraceparent(): string | undefined {
  return storage.getStore();
}

import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';

/**
 * W3C trace context (https://www.w3.org/TR/trace-context/). A request or an incoming
 * event sets the current trace; every event it causes carries a child `traceparent`, so
 * one purchase can be followed across services in the logs.
 */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const storage = new AsyncLocalStorage<string>();

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

export function isTraceparent(value: unknown): value is string {
  return typeof value === 'string' && TRACEPARENT.test(value);
}

/** A new span in the same trace as `parent`, or the root of a new trace. */
export function childTraceparent(parent?: string | null): string {
  const match = parent ? TRACEPARENT.exec(parent) : null;
  const traceId = match?.[1] ?? hex(16);
  return `00-${traceId}-${hex(8)}-01`;
}

export function traceIdOf(traceparent: string): string | undefined {
  return TRACEPARENT.exec(traceparent)?.[1];
}

export function runWithTrace<T>(traceparent: string | null | undefined, fn: () => T): T {
  return storage.run(isTraceparent(traceparent) ? traceparent : childTraceparent(), fn);
}

export function currentTraceparent(): string | undefined {
  return storage.getStore();
}

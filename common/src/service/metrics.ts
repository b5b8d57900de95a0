import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RetryBook } from '../bus/retries.js';

/** One registry per service instance, so several instances can live in one test process. */
export function createMetrics(service: string, { processMetrics = false, retries }: { processMetrics?: boolean; retries?: RetryBook } = {}) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (processMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by method, route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    eventsPublished: new Counter({
      name: 'events_published_total',
      help: 'Events published to the bus from the outbox',
      labelNames: ['subject'] as const,
      registers,
    }),
    eventsHandled: new Counter({
      name: 'events_handled_total',
      help: 'Events handled and acknowledged (duplicates included)',
      labelNames: ['subject', 'result'] as const,
      registers,
    }),
    eventsFailed: new Counter({
      name: 'events_failed_total',
      help: 'Event deliveries whose handling failed, by cause (each is retried, or dead-lettered when permanent)',
      labelNames: ['subject', 'cause'] as const,
      registers,
    }),
    eventsDeadLettered: new Counter({
      name: 'events_dead_lettered_total',
      help: 'Events moved to the dead-letter subject',
      labelNames: ['subject'] as const,
      registers,
    }),
    eventsStuck: new Counter({
      name: 'events_stuck_total',
      help: 'Events still failing EVENT_STUCK_AFTER_SECONDS after they were published (still retried), by cause',
      labelNames: ['subject', 'cause'] as const,
      registers,
    }),
    eventsRetrying: new Gauge({
      name: 'events_retrying',
      help: 'Events this replica is retrying, by cause (an outage, a version gap, a failing handler)',
      labelNames: ['cause'] as const,
      registers,
      collect() {
        this.reset();
        for (const [cause, n] of Object.entries(retries?.summary().causes ?? {})) this.set({ cause }, n);
      },
    }),
    eventRetryOldest: new Gauge({
      name: 'event_retry_oldest_seconds',
      help: 'Age of the oldest event this replica is retrying, since it was published',
      registers,
      collect() {
        this.set(retries?.summary().oldestSeconds ?? 0);
      },
    }),
    streamUsage: new Gauge({
      name: 'stream_usage',
      help: "The event stream's size as of the last check: bytes, messages, and its byte limit",
      labelNames: ['measure'] as const,
      registers,
    }),
    outboxBacklog: new Gauge({
      name: 'outbox_backlog',
      help: 'Outbox events not yet published, as of the last relay pass',
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

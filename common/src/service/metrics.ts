import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per service instance, so several instances can live in one test process. */
export function createMetrics(service: string, { processMetrics = false } = {}) {
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
      help: 'Event deliveries whose handling failed (each will be retried or dead-lettered)',
      labelNames: ['subject'] as const,
      registers,
    }),
    eventsDeadLettered: new Counter({
      name: 'events_dead_lettered_total',
      help: 'Events moved to the dead-letter subject',
      labelNames: ['subject'] as const,
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

import { describe, expect, it } from 'vitest';
import {
  consumerName,
  deadLetterSubject,
  eventSchemas,
  isDeadLetter,
  replaySubject,
  serviceOfConsumer,
  streamSubjectFilters,
  subjects,
  traceIdOf,
} from '../src/index.ts';

describe('bus naming', () => {
  it('when a service and a subject are named as a consumer, then the service comes back out of it', () => {
    for (const service of ['orders', 'payments', 'fixture-a1b2']) {
      for (const subject of subjects) {
        const durable = consumerName(service, subject);
        expect(durable).toMatch(/^[A-Za-z0-9_-]+$/); // JetStream durable names take no dots
        expect(serviceOfConsumer(durable, subject)).toBe(service);
      }
    }
    expect(consumerName('orders', 'ticket.updated')).toBe('orders-ticket-updated');
  });

  it('when a consumer is not for the subject asked about, then its whole name comes back', () => {
    expect(serviceOfConsumer('orders-ticket-updated', 'ticket.created')).toBe('orders-ticket-updated');
    expect(serviceOfConsumer('-ticket-created', 'ticket.created')).toBe('-ticket-created');
  });

  it('when an event is dead-lettered, then its subject is deadletter.<consumer>.<subject>, inside the stream', () => {
    const subject = deadLetterSubject('orders-payment-created', 'payment.created');
    expect(subject).toBe('deadletter.orders-payment-created.payment.created');
    expect(isDeadLetter(subject)).toBe(true);
    expect(subjects.some(isDeadLetter)).toBe(false);
    expect(streamSubjectFilters).toEqual(['ticket.*', 'order.*', 'payment.*', 'expiration.*', 'session.*', 'deadletter.>', 'replay.>']);
  });

  it('when a dead letter is replayed, then it goes to replay.<consumer>.<subject>, inside the stream and apart from the events', () => {
    const subject = replaySubject('orders-payment-created', 'payment.created');
    expect(subject).toBe('replay.orders-payment-created.payment.created');
    expect(isDeadLetter(subject)).toBe(false);
    expect(streamSubjectFilters).toContain('replay.>');
    expect(subjects.some((s) => s.startsWith('replay.'))).toBe(false);
  });

  it('when the subjects are listed, then each has its payload schema, in the order of a purchase', () => {
    expect(Object.keys(eventSchemas)).toEqual([...subjects]);
  });

  it('when a traceparent is read, then only the W3C form gives a trace id', () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    expect(traceIdOf(`00-${traceId}-00f067aa0ba902b7-01`)).toBe(traceId);
    for (const bad of [undefined, null, '', `01-${traceId}-00f067aa0ba902b7-01`, `00-${traceId.toUpperCase()}-00f067aa0ba902b7-01`, `00-${traceId}-00f067aa0ba902b7`]) {
      expect(traceIdOf(bad)).toBeUndefined();
    }
  });
});

import { expect } from 'vitest';
import { deadLetterHeaders, deadLetterSubject } from '@ticketing/contracts';
import type { TestBus } from './bus.js';
import { eventually } from './eventually.js';
import type { LogRecord } from './logs.js';
import type { ServiceContext } from '@ticketing/common';
import { metricValue, scrapeMetrics } from './metrics.js';
import { publishTestEvent } from './publish.js';
import { readStream } from './stream.js';

/** Events a listener can never handle: one not JSON at all, one JSON that breaks every event contract. */
export async function publishPoison(bus: TestBus, subject: string): Promise<{ notJson: string; offContract: string }> {
  return {
    notJson: await publishTestEvent(bus, subject, null, { raw: '{"id": "half an event' }),
    offContract: await publishTestEvent(bus, subject, { id: 'not-a-uuid', version: -1, ticket: 'none' }),
  };
}

/**
 * What a poison event must leave behind once handled for good: the event on
 * `deadletter.<consumer>.<subject>` under its id, one error log line naming that id, and
 * `events_dead_lettered_total{subject}` in the service's metrics counting exactly `eventIds`.
 */
export async function expectDeadLettered(
  t: { bus: TestBus; service: ServiceContext },
  records: LogRecord[],
  where: { consumer: string; subject: string },
  eventIds: string[],
) {
  const { consumer, subject } = where;
  const dead = await eventually(
    async () => {
      const got = await readStream(t.bus, deadLetterSubject(consumer, subject));
      return got.length >= eventIds.length && got;
    },
    { what: `${eventIds.length} dead letters of ${consumer}` },
  );
  expect(dead.map((d) => d.headers[deadLetterHeaders.eventId]).sort()).toEqual([...eventIds].sort());
  for (const eventId of eventIds) {
    const lines = await eventually(() => {
      const found = records.filter((r) => r.msg === 'event moved to dead letter' && r.eventId === eventId);
      return found.length > 0 && found;
    });
    expect(lines).toEqual([expect.objectContaining({ level: 'error', consumer, subject, reason: expect.any(String) })]);
  }
  const metrics = await scrapeMetrics(t.service);
  expect(metricValue(metrics.text, 'events_dead_lettered_total', { subject })).toBe(eventIds.length);
  return dead;
}

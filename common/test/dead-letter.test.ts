import { afterEach, describe, expect, it } from 'vitest';
import { DEAD_LETTER_PREFIX, deadLetterSubject } from '@ticketing/contracts';
import type { BaseConfig } from '../src/config/env.js';
import {
  createTestService,
  eventually,
  publishTestEvent,
  readStream,
  recordingLogger,
  jetStreamOf,
  type LogRecord,
  type TestService,
} from '@ticketing/testkit';
import { migrationsFolder } from './fixtures/service.js';
import { recordWidget, ticketCreated, widgetCount } from './fixtures/widgets.js';

const opts = { retryDelayMs: 50, maxRetryDelayMs: 200, ackWaitMs: 2000 };
const CONSUMER = 'fixture-ticket-created';

let t: TestService<BaseConfig> | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const deadLettered = async () =>
  (await t!.service.metrics.eventsDeadLettered.get()).values.reduce((n, v) => n + v.value, 0);
const logged = (records: LogRecord[], msg: string, eventId: string) =>
  records.filter((r) => r.msg === msg && r.eventId === eventId);

/** Takes the dead-letter subjects out of the test stream (or puts them back), so publishing there really fails. */
async function deadLetterSubjectsInStream(present: boolean) {
  const { jsm } = jetStreamOf(t!.service);
  const { env } = t!.bus;
  const info = await jsm.streams.info(env.NATS_STREAM);
  const filter = `${env.NATS_SUBJECT_PREFIX}${DEAD_LETTER_PREFIX}.>`;
  const others = (info.config.subjects ?? []).filter((s) => s !== filter);
  await jsm.streams.update(env.NATS_STREAM, { ...info.config, subjects: present ? [...others, filter] : others });
}

describe('dead letters', () => {
  it('when an event is moved to the dead letter subject, then it is logged with its event id and counted once', async () => {
    const { logger, records } = recordingLogger();
    t = await createTestService({ name: 'fixture', migrationsFolder, logger });
    await t.listen([recordWidget], opts);

    const poisonId = await publishTestEvent(t.bus, 'ticket.created', null, { raw: 'not json at all' });

    await eventually(async () => (await readStream(t!.bus, deadLetterSubject(CONSUMER, 'ticket.created'))).length === 1);
    expect(logged(records, 'event moved to dead letter', poisonId)).toEqual([
      expect.objectContaining({ level: 'error', consumer: CONSUMER, subject: 'ticket.created', reason: 'payload is not JSON' }),
    ]);
    expect(await deadLettered()).toBe(1);
  });

  it('when the dead letter cannot be published, then the event is neither counted nor logged as moved, is kept, and does not block later events', async () => {
    const { logger, records } = recordingLogger();
    t = await createTestService({ name: 'fixture', migrationsFolder, logger });
    await deadLetterSubjectsInStream(false);
    await t.listen([recordWidget], opts);

    const poisonId = await publishTestEvent(t.bus, 'ticket.created', null, { raw: '{"id":' });
    await publishTestEvent(t.bus, 'ticket.created', ticketCreated());

    // Several attempts to publish the dead letter fail; the valid event behind it is applied meanwhile.
    await eventually(() => logged(records, 'could not publish dead letter; the event will be redelivered', poisonId).length >= 2, {
      what: 'failed dead-letter attempts',
    });
    await eventually(async () => (await widgetCount(t!.service.database)) === 1, { what: 'the valid event' });
    expect(logged(records, 'event moved to dead letter', poisonId)).toEqual([]);
    expect(await deadLettered()).toBe(0);

    // Once the subject is back, the kept event is dead-lettered, logged and counted exactly once.
    await deadLetterSubjectsInStream(true);
    const dead = await eventually(async () => {
      const d = await readStream(t!.bus, deadLetterSubject(CONSUMER, 'ticket.created'));
      return d.length === 1 && d;
    });
    expect(dead[0]!.headers['Ticketing-Event-Id']).toBe(poisonId);
    await eventually(() => logged(records, 'event moved to dead letter', poisonId).length === 1);
    await new Promise((r) => setTimeout(r, 500));
    expect(logged(records, 'event moved to dead letter', poisonId)).toHaveLength(1);
    expect(await deadLettered()).toBe(1);
  });
});

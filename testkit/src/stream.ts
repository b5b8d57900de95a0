import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, nanos } from '@nats-io/transport-node';
import { count, isNull } from 'drizzle-orm';
import { outbox, type ServiceContext } from '@ticketing/common';
import type { TestBus } from './bus.js';
import { eventually } from './eventually.js';

export interface ReceivedEvent {
  subject: string;
  payload: unknown;
  headers: Record<string, string>;
  seq: number;
}

/** Every message in the test stream on `subject` (without the prefix; wildcards allowed), oldest first. */
export async function readStream(bus: TestBus, subject: string): Promise<ReceivedEvent[]> {
  const nc = await connect({ servers: bus.env.NATS_URL });
  try {
    const jsm = await jetstreamManager(nc);
    const prefix = bus.env.NATS_SUBJECT_PREFIX;
    const info = await jsm.consumers.add(bus.env.NATS_STREAM, {
      filter_subject: `${prefix}${subject}`,
      ack_policy: AckPolicy.None,
      deliver_policy: DeliverPolicy.All,
      inactive_threshold: nanos(30_000),
    });
    const consumer = await jetstream(nc).consumers.get(bus.env.NATS_STREAM, info.name);
    const events: ReceivedEvent[] = [];
    for (let i = 0; i < info.num_pending; i++) {
      const m = await consumer.next({ expires: 2000 });
      if (!m) break;
      const headers: Record<string, string> = {};
      for (const [k, v] of m.headers ?? []) headers[k] = v.join(',');
      events.push({ subject: m.subject.slice(prefix.length), payload: parseJson(m.string()), headers, seq: m.seq });
    }
    await jsm.consumers.delete(bus.env.NATS_STREAM, info.name).catch(() => false);
    return events;
  } finally {
    await nc.close();
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * The payloads on `subject` once every event committed so far has been published (the
 * service's outbox holds nothing unsent), so a missing event is really missing, not late.
 */
export async function publishedEvents(t: { service: ServiceContext; bus: TestBus }, subject: string): Promise<unknown[]> {
  await eventually(
    async () => {
      const [row] = await t.service.database.db.select({ n: count() }).from(outbox).where(isNull(outbox.sentAt));
      return row?.n === 0;
    },
    { what: 'outbox drained' },
  );
  return (await readStream(t.bus, subject)).map((e) => e.payload);
}

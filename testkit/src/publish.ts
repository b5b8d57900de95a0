import { randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import { connect, headers as natsHeaders } from '@nats-io/transport-node';
import type { TestBus } from './bus.js';

/**
 * Publishes an event on the test stream as another service would (the payload is not
 * validated, so tests can send bad ones), in the trace of `traceparent` if given. Returns the event id.
 */
export async function publishTestEvent(
  bus: TestBus,
  subject: string,
  payload: unknown,
  options: { id?: string; raw?: string; traceparent?: string } = {},
): Promise<string> {
  const id = options.id ?? randomUUID();
  const nc = await connect({ servers: bus.env.NATS_URL });
  try {
    const h = natsHeaders();
    h.set('Nats-Msg-Id', id);
    if (options.traceparent) h.set('traceparent', options.traceparent);
    await jetstream(nc).publish(
      `${bus.env.NATS_SUBJECT_PREFIX}${subject}`,
      options.raw ?? JSON.stringify(payload),
      { msgID: id, headers: h },
    );
    return id;
  } finally {
    await nc.close();
  }
}

import { consumerName } from '@ticketing/contracts';
import {
  defaultListenerOptions,
  jetStreamDelivery,
  handleMessage,
  type Listener,
  type ListenerOptions,
  type ServiceContext,
} from '@ticketing/common';
import { jetStreamOf } from './jetstream-of.js';
import { fastListenerOptions } from './service.js';

/**
 * Delivers the next `listener` event to `service` and handles it, but loses the ack, as when
 * a replica dies right after its transaction commits. The server redelivers it after ack_wait.
 */
export async function handleNextWithLostAck(
  service: ServiceContext,
  listener: Listener,
  options: Partial<ListenerOptions> = {},
) {
  const opts = { ...defaultListenerOptions, ...fastListenerOptions, ackWaitMs: 1000, ...options };
  const durable = consumerName(service.name, listener.subject);
  // One message pulled on its own, so no other is held back unacknowledged.
  const consumer = await jetStreamOf(service).ensureConsumer(durable, listener.subject, opts.ackWaitMs);
  const msg = await consumer.next({ expires: 5000 });
  if (!msg) throw new Error(`no ${listener.subject} event to deliver`);
  await handleMessage(service, listener, durable, { ...jetStreamDelivery(msg), ack: () => {} }, opts);
}

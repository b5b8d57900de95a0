import { consumerName } from '@ticketing/contracts';
import {
  defaultListenerOptions,
  handleMessage,
  type Listener,
  type ListenerOptions,
  type ServiceContext,
} from '@ticketing/common';
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
  const consumer = await service.bus.ensureConsumer(durable, listener.subject, opts.ackWaitMs);
  const msg = await consumer.next({ expires: 5000 });
  if (!msg) throw new Error(`no ${listener.subject} event to deliver`);
  const ackLost = new Proxy(msg, {
    get: (target, prop) => {
      if (prop === 'ack') return () => {};
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  await handleMessage(service, listener, durable, ackLost, opts);
}

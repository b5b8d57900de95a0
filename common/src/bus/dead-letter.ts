import { deadLetterHeaders, deadLetterSubject } from '@ticketing/contracts';
import type { Logger } from 'pino';
import type { ServiceContext } from '../service/context.js';
import type { Delivery } from './transport.js';

/**
 * Moves an event that cannot be handled out of the consumer's way: the original payload is
 * republished with the reason in headers. Only once that publish succeeded is the event logged
 * at error level as moved and counted, so the metric never shows an event that is still kept.
 * Returns false when the dead letter could not be published (the caller keeps the event).
 */
export async function deadLetter(
  service: ServiceContext,
  msg: Delivery,
  info: { subject: string; consumer: string; eventId: string; reason: string; log: Logger },
): Promise<boolean> {
  try {
    await service.bus.publish(deadLetterSubject(info.consumer, info.subject), msg.data, {
      // Per delivered message (a redelivery of it is the same one), so a replayed event that
      // fails again is dead-lettered again rather than dropped as a duplicate.
      id: `${info.eventId}:${info.consumer}:dead:${msg.position}`,
      headers: {
        [deadLetterHeaders.eventId]: info.eventId,
        [deadLetterHeaders.consumer]: info.consumer,
        [deadLetterHeaders.reason]: info.reason.replace(/[\r\n]+/g, ' ').slice(0, 1000),
        [deadLetterHeaders.deliveries]: String(msg.deliveryCount),
        traceparent: msg.header('traceparent'),
      },
    });
  } catch (err) {
    info.log.error({ err, reason: info.reason }, 'could not publish dead letter; the event will be redelivered');
    return false;
  }
  info.log.error({ reason: info.reason }, 'event moved to dead letter');
  service.metrics.eventsDeadLettered.inc({ subject: info.subject });
  return true;
}

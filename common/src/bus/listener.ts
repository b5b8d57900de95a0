import type { JsMsg } from '@nats-io/jetstream';
import { consumerName, eventSchemas, type EventPayload, type Subject } from '@ticketing/contracts';
import type { Logger } from 'pino';
import type { Tx } from '../db/database.js';
import { recordInInbox } from '../outbox/inbox.js';
import type { ServiceContext } from '../service/context.js';
import { deadLetter } from './dead-letter.js';
import { runWithTrace } from './trace.js';

export interface HandlerContext {
  /** The transaction the inbox entry is written in: write the handler's effects here too. */
  tx: Tx;
  eventId: string;
  deliveryCount: number;
  log: Logger;
}

export interface Listener<S extends Subject = Subject> {
  subject: S;
  handle(event: EventPayload<S>, ctx: HandlerContext): Promise<void>;
}

/** Declares what a service does with one subject. */
export function defineListener<S extends Subject>(
  subject: S,
  handle: (event: EventPayload<S>, ctx: HandlerContext) => Promise<void>,
): Listener<S> {
  return { subject, handle };
}

/**
 * Thrown by a handler when the event came too early (e.g. version 5 before version 4): it
 * is left for redelivery without being logged as a failure.
 */
export class RetryLater extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'RetryLater';
  }
}

export interface ListenerOptions {
  /** Deliveries before an event goes to the dead-letter subject. */
  maxDeliveries: number;
  /** First redelivery delay; it doubles with each failure, up to `maxRetryDelayMs`. */
  retryDelayMs: number;
  maxRetryDelayMs: number;
  /** How long the server waits for an ack before redelivering (a crashed replica's events). */
  ackWaitMs: number;
}

export const defaultListenerOptions: ListenerOptions = {
  maxDeliveries: 8,
  retryDelayMs: 500,
  maxRetryDelayMs: 30_000,
  ackWaitMs: 30_000,
};

export interface RunningListeners {
  stop(): Promise<void>;
}

/**
 * Subscribes every listener through its durable consumer and handles events one at a time:
 * inbox entry and effects in one transaction, ack after commit, `nak` with a growing delay on
 * failure, dead letter after `maxDeliveries`.
 */
export async function startListeners(
  service: ServiceContext,
  listeners: Listener[],
  options: Partial<ListenerOptions> = {},
): Promise<RunningListeners> {
  const opts = { ...defaultListenerOptions, ...options };
  const loops = await Promise.all(listeners.map((l) => consumeForever(service, l, opts)));
  return {
    async stop() {
      await Promise.all(loops.map((loop) => loop.stop()));
    },
  };
}

async function consumeForever(service: ServiceContext, listener: Listener, opts: ListenerOptions) {
  const durable = consumerName(service.name, listener.subject);
  const consumer = await service.bus.ensureConsumer(durable, listener.subject, opts.ackWaitMs);
  const messages = await consumer.consume({ max_messages: 20 });
  const done = (async () => {
    for await (const msg of messages) {
      await handleMessage(service, listener, durable, msg, opts);
    }
  })().catch((err) => service.logger.error({ err, durable }, 'consumer loop ended'));
  return {
    async stop() {
      await messages.close();
      await done;
    },
  };
}

export async function handleMessage(
  service: ServiceContext,
  listener: Listener,
  consumer: string,
  msg: JsMsg,
  opts: ListenerOptions,
) {
  const { subject } = listener;
  const eventId = msg.headers?.get('Nats-Msg-Id') || `${msg.info.stream}:${msg.seq}`;
  const deliveryCount = msg.info.deliveryCount;
  const log = service.logger.child({ consumer, subject, eventId, deliveryCount });

  const parsed = parseEvent(subject, msg);
  if (!parsed.ok) {
    // A malformed event will never succeed: no point retrying it.
    const moved = await deadLetter(service, msg, { subject, consumer, eventId, reason: parsed.reason, log });
    if (moved) msg.term(parsed.reason);
    else msg.nak(opts.maxRetryDelayMs);
    return;
  }

  try {
    const first = await runWithTrace(msg.headers?.get('traceparent'), () =>
      service.transaction(async (tx) => {
        if (!(await recordInInbox(tx, { eventId, consumer, subject }))) return false;
        await listener.handle(parsed.event, { tx, eventId, deliveryCount, log });
        return true;
      }),
    );
    msg.ack();
    service.metrics.eventsHandled.inc({ subject, result: first ? 'handled' : 'duplicate' });
    if (!first) log.info('duplicate event ignored');
  } catch (err) {
    service.metrics.eventsFailed.inc({ subject });
    if (deliveryCount >= opts.maxDeliveries) {
      const reason = err instanceof Error ? err.message : String(err);
      const moved = await deadLetter(service, msg, { subject, consumer, eventId, reason, log });
      if (moved) msg.term(reason);
      else msg.nak(opts.maxRetryDelayMs);
      return;
    }
    const delay = Math.min(opts.retryDelayMs * 2 ** (deliveryCount - 1), opts.maxRetryDelayMs);
    if (err instanceof RetryLater) log.info({ reason: err.message, delay }, 'event left for redelivery');
    else log.warn({ err, delay }, 'event handling failed; will retry');
    msg.nak(delay);
  }
}

type Parsed = { ok: true; event: EventPayload<Subject> } | { ok: false; reason: string };

function parseEvent(subject: Subject, msg: JsMsg): Parsed {
  let json: unknown;
  try {
    json = msg.json();
  } catch {
    return { ok: false, reason: 'payload is not JSON' };
  }
  const result = eventSchemas[subject].safeParse(json);
  if (!result.success) {
    const first = result.error.issues[0];
    return { ok: false, reason: `invalid payload: ${first?.path.join('.')} ${first?.message}` };
  }
  return { ok: true, event: result.data };
}

import { consumerName, deadLetterHeaders, eventSchemas, type EventPayload, type Subject } from '@ticketing/contracts';
import type { Logger } from 'pino';
import type { Tx } from '../db/database.js';
import { inboxEntry } from '../outbox/inbox.js';
import type { ServiceContext } from '../service/context.js';
import { deadLetter } from './dead-letter.js';
import { failureCause } from './failures.js';
import { KeyedLanes } from './lanes.js';
import { runWithTrace } from './trace.js';
import type { Delivery } from './transport.js';

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
  /**
   * The record an event changes here: events of one key are handled one at a time, in the order
   * they arrive; those of different keys side by side. By default the record the event is about
   * (`entityOf`).
   */
  key(event: EventPayload<S>): string;
}

/** Declares what a service does with one subject (and, if not the default, which record each event changes). */
export function defineListener<S extends Subject>(
  subject: S,
  handle: (event: EventPayload<S>, ctx: HandlerContext) => Promise<void>,
  options: { key?: (event: EventPayload<S>) => string } = {},
): Listener<S> {
  return { subject, handle, key: options.key ?? entityOf[subject] };
}

/** The record each subject's event is about: the ticket, the order, the user. */
export const entityOf: { [S in Subject]: (event: EventPayload<S>) => string } = {
  'ticket.created': (e) => e.id,
  'ticket.updated': (e) => e.id,
  'order.created': (e) => e.id,
  'payment.started': (e) => e.orderId,
  'order.updated': (e) => e.id,
  'order.cancelled': (e) => e.id,
  'order.completed': (e) => e.id,
  'expiration.complete': (e) => e.orderId,
  'payment.created': (e) => e.orderId,
  'session.revoked': (e) => e.userId,
};

export interface ListenerOptions {
  /** First redelivery delay; it doubles with each failure, up to `maxRetryDelayMs`. */
  retryDelayMs: number;
  maxRetryDelayMs: number;
  /** How long the server waits for an ack before redelivering (a crashed replica's events). */
  ackWaitMs: number;
  /** Events each consumer handles at once (of different keys), each in a transaction of its own. */
  concurrency: number;
}

export const defaultListenerOptions: ListenerOptions = {
  retryDelayMs: 500,
  maxRetryDelayMs: 30_000,
  ackWaitMs: 30_000,
  concurrency: 8,
};

export interface RunningListeners {
  stop(): Promise<void>;
}

/**
 * Subscribes every listener through its durable consumer and handles its events up to
 * `concurrency` at a time, those of one key (one record) one after another in arrival order:
 * inbox entry and effects in one transaction, ack after commit, `nak` with a growing delay on a
 * failure that can pass (for as long as it lasts), dead letter for poison only.
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
  const messages = await service.bus.subscribe(durable, listener.subject, {
    ackWaitMs: opts.ackWaitMs,
    maxInFlight: Math.max(20, 2 * opts.concurrency),
  });
  const lanes = new KeyedLanes(opts.concurrency);
  const done = (async () => {
    try {
      for await (const msg of messages) {
        const parsed = parseEvent(listener.subject, msg);
        // Poison has no trustworthy key: it takes a lane of its own, on its way to the dead letters.
        const key = parsed.ok ? listener.key(parsed.event) : '';
        await lanes.add(key, () =>
          handleParsed(service, listener, durable, msg, parsed, opts).catch((err: unknown) =>
            // Not acked: the server redelivers it after the ack wait.
            service.logger.error({ err, durable }, 'event handling failed unexpectedly'),
          ),
        );
      }
    } finally {
      await lanes.idle(); // stopping waits for the handlers under way, and their acks
    }
  })().catch((err) => service.logger.error({ err, durable }, 'consumer loop ended'));
  return {
    async stop() {
      await messages.close();
      await done;
    },
  };
}

export function handleMessage(service: ServiceContext, listener: Listener, consumer: string, msg: Delivery, opts: ListenerOptions) {
  return handleParsed(service, listener, consumer, msg, parseEvent(listener.subject, msg), opts);
}

/** In the event's trace: its effects' events continue it, and every line logged about it (retries too) carries its id. */
function handleParsed(service: ServiceContext, listener: Listener, consumer: string, msg: Delivery, parsed: Parsed, opts: ListenerOptions) {
  return runWithTrace(msg.header('traceparent'), () => handleInTrace(service, listener, consumer, msg, parsed, opts));
}

async function handleInTrace(service: ServiceContext, listener: Listener, consumer: string, msg: Delivery, parsed: Parsed, opts: ListenerOptions) {
  const { subject } = listener;
  // A replayed dead letter carries the original event's id, so the inbox knows it.
  const eventId = msg.header(deadLetterHeaders.eventId) ?? msg.id;
  const { deliveryCount } = msg;
  const log = service.logger.child({ consumer, subject, eventId, deliveryCount });

  if (!parsed.ok) {
    // A malformed event will never succeed: no point retrying it.
    const moved = await deadLetter(service, msg, { subject, consumer, eventId, reason: parsed.reason, log });
    if (moved) msg.reject(parsed.reason);
    else msg.retry(opts.maxRetryDelayMs);
    return;
  }

  const key = { consumer, eventId };
  try {
    // The inbox entry goes with BEGIN: a redelivery is known without a round trip of its own.
    const first = await service.transaction(
      async (tx, opened) => {
        if (opened?.rowCount !== 1) return false;
        await listener.handle(parsed.event, { tx, eventId, deliveryCount, log });
        return true;
      },
      { opening: inboxEntry({ eventId, consumer, subject }) },
    );
    msg.ack();
    service.retries.settled(key);
    service.metrics.eventsHandled.inc({ subject, result: first ? 'handled' : 'duplicate' });
    if (!first) log.info('duplicate event ignored');
  } catch (err) {
    const cause = failureCause(err);
    service.metrics.eventsFailed.inc({ subject, cause });
    const reason = err instanceof Error ? err.message : String(err);
    if (cause === 'permanent') {
      const moved = await deadLetter(service, msg, { subject, consumer, eventId, reason, log });
      if (moved) {
        service.retries.settled(key);
        msg.reject(reason);
      } else msg.retry(opts.maxRetryDelayMs);
      return;
    }
    const delay = Math.min(opts.retryDelayMs * 2 ** (deliveryCount - 1), opts.maxRetryDelayMs);
    msg.retry(delay);
    const { publishedAt } = msg;
    const noted = service.retries.failed(key, { cause, publishedAt });
    if (noted.becameStuck) {
      service.metrics.eventsStuck.inc({ subject, cause });
      log.error({ reason, cause, waitingSeconds: Math.round((Date.now() - publishedAt) / 1000) }, 'event stuck: still retrying');
    } else if (noted.log) {
      const fields = { reason, cause, delay, notLogged: noted.suppressed };
      if (cause === 'out_of_order') log.info(fields, 'event left for redelivery');
      // An unexpected error (a bug, most likely) keeps its stack in the log.
      else log.warn(cause === 'error' ? { ...fields, err } : fields, 'event handling failed; will retry');
    }
  }
}

type Parsed = { ok: true; event: EventPayload<Subject> } | { ok: false; reason: string };

function parseEvent(subject: Subject, msg: Delivery): Parsed {
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

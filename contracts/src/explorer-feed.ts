/**
 * What the event explorer's stream (`GET /api/events/stream`, server-sent events) sends, as
 * both the route handler and the browser see it. See docs/guide/11-event-explorer.md.
 *
 *   event: hello      ExplorerHello      once per connection
 *   event: bus-event  BusEvent           one per message in the stream (SSE id = its sequence)
 *   event: handled    HandledUpdate      the durable consumers' ack floors, whenever one moves
 *   event: caught-up  {}                 the history asked for has been sent; the rest is live
 *   event: reader     ReaderUpdate       the server's reader lost the bus, or reads it again
 *   event: problem    { message }        the bus could not be read (the browser retries)
 */

export type ExplorerHello = {
  stream: string;
  /** The subject prefix of this system ('' by default); subjects below are shown without it. */
  prefix: string;
  /** The first sequence this connection sends, and the stream's last one when it opened. */
  fromSeq: number;
  lastSeq: number;
};

export type BusEvent = {
  /** The stream sequence: JetStream's order of everything published. */
  seq: number;
  /** Without the system's subject prefix, e.g. `order.created`. */
  subject: string;
  /** When the server stored it (ISO 8601). */
  time: string;
  /** Nats-Msg-Id (the event id), traceparent, and a dead letter's reason. */
  headers: Record<string, string>;
  /** The JSON body, or the raw text when it is not JSON. */
  payload: unknown;
  /** Services with a durable consumer for this subject, and those that have handled it. */
  listeners: string[];
  handledBy: string[];
};

/** One durable consumer (named by `consumerName`): it has handled every event up to ackFloor. */
export type ConsumerFloor = {
  name: string;
  service: string;
  subject: string;
  /** Stream sequence of its ack floor: every event of its subject at or below it is acknowledged. */
  ackFloor: number;
};

export type HandledUpdate = { consumers: ConsumerFloor[] };

/**
 * Whether the server's reader is reading the bus: false while NATS is out of its reach (it
 * reconnects by itself and the stream stays open), true once it reads again. It reads when a
 * connection opens (hello), so only changes are sent.
 */
export type ReaderUpdate = { reading: boolean };

/** Which of `event`'s listeners have handled it, given the latest consumer floors (and what it arrived with). */
export function handlersOf(event: BusEvent, consumers: ConsumerFloor[]): { listeners: string[]; handledBy: string[] } {
  const listeners = new Set(event.listeners);
  const handledBy = new Set(event.handledBy);
  for (const c of consumers) {
    if (c.subject !== event.subject) continue;
    listeners.add(c.service);
    if (c.ackFloor >= event.seq) handledBy.add(c.service);
  }
  const sorted = (s: Set<string>) => [...s].sort();
  return { listeners: sorted(listeners), handledBy: sorted(handledBy) };
}

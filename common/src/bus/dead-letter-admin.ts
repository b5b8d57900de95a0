import { AckPolicy, DeliverPolicy, type JsMsg, type StoredMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { DEAD_LETTER_PREFIX, deadLetterHeaders, replaySubject } from '@ticketing/contracts';
import type { Bus } from './bus.js';

/** A dead letter as an operator sees it: where it came from, why, and what it carried. */
export interface DeadLetter {
  /** Its stream sequence: how `show`, `replay` and `drop` name it. */
  seq: number;
  time: Date;
  consumer: string;
  /** The original event's subject, e.g. `order.created`. */
  subject: string;
  eventId: string;
  reason: string;
  deliveries: number;
  traceparent?: string;
  payload: string;
}

/**
 * The dead letters in the stream, oldest first, optionally of one consumer: read through a
 * short-lived consumer that acknowledges nothing, so reading changes nothing.
 */
export async function listDeadLetters(bus: Bus, options: { consumer?: string } = {}): Promise<DeadLetter[]> {
  const filter = bus.subject(`${DEAD_LETTER_PREFIX}.${options.consumer ?? '*'}.>`);
  const info = await bus.jsm.consumers.add(bus.stream, {
    filter_subject: filter,
    ack_policy: AckPolicy.None,
    deliver_policy: DeliverPolicy.All,
    mem_storage: true,
    inactive_threshold: nanos(30_000),
  });
  const letters: DeadLetter[] = [];
  try {
    const reader = await bus.js.consumers.get(bus.stream, info.name);
    while (letters.length < info.num_pending) {
      const batch = await reader.fetch({ max_messages: Math.min(256, info.num_pending - letters.length), expires: 2000 });
      const before = letters.length;
      for await (const msg of batch) letters.push(fromMessage(bus, msg));
      if (letters.length === before) break; // deleted meanwhile
    }
  } finally {
    await bus.jsm.consumers.delete(bus.stream, info.name).catch(() => false);
  }
  return letters;
}

/** One dead letter by its sequence, or undefined when there is none (or that message is not one). */
export async function getDeadLetter(bus: Bus, seq: number): Promise<DeadLetter | undefined> {
  const stored = await bus.jsm.streams.getMessage(bus.stream, { seq }).catch(() => null);
  if (!stored || !stored.subject.startsWith(bus.subject(`${DEAD_LETTER_PREFIX}.`))) return undefined;
  return fromMessage(bus, stored);
}

/**
 * Sends a dead letter back to the one consumer that dropped it, with the original event id, and
 * then removes it. The consumer's inbox makes it take effect once: a replay repeated (after a
 * crash between the two steps, or by two operators) is a duplicate there.
 */
export async function replayDeadLetter(bus: Bus, letter: DeadLetter): Promise<void> {
  await bus.publish(replaySubject(letter.consumer, letter.subject), letter.payload, {
    id: `${letter.eventId}:${letter.consumer}:replay:${letter.seq}`,
    headers: { [deadLetterHeaders.eventId]: letter.eventId, traceparent: letter.traceparent },
  });
  await dropDeadLetter(bus, letter);
}

/** Removes a dead letter for good (one already gone counts as removed). */
export async function dropDeadLetter(bus: Bus, letter: Pick<DeadLetter, 'seq'>): Promise<void> {
  await bus.jsm.streams.deleteMessage(bus.stream, letter.seq, false).catch((err: unknown) => {
    if (!/no message found|not found/i.test(String(err))) throw err;
  });
}

function fromMessage(bus: Bus, msg: JsMsg | StoredMsg): DeadLetter {
  const headers = 'header' in msg ? msg.header : msg.headers;
  const header = (name: string) => headers?.get(name) || undefined;
  // deadletter.<consumer>.<subject>, the consumer name holding no dots
  const [, consumer = '', ...subject] = msg.subject.slice(bus.subject('').length).split('.');
  return {
    seq: msg.seq,
    time: 'header' in msg ? msg.time : new Date(Math.floor(msg.info.timestampNanos / 1e6)),
    consumer: header(deadLetterHeaders.consumer) ?? consumer,
    subject: subject.join('.'),
    eventId: header(deadLetterHeaders.eventId) ?? '',
    reason: header(deadLetterHeaders.reason) ?? '',
    deliveries: Number(header(deadLetterHeaders.deliveries) ?? 0),
    traceparent: header('traceparent'),
    payload: msg.string(),
  };
}

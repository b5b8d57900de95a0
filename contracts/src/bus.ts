import { subjects } from './subjects.ts';

/**
 * How the events travel: one JetStream stream holds every subject; each message carries the
 * event id in `Nats-Msg-Id` and W3C trace context in `traceparent`.
 */

/** Where everything connects when NATS_URL, NATS_STREAM and NATS_SUBJECT_PREFIX are not set. */
export const busDefaults = {
  url: 'nats://127.0.0.1:4222',
  stream: 'TICKETING',
  /** Put in front of every subject, so several systems can share one server. */
  subjectPrefix: '',
} as const;

/**
 * Each listening service has one durable consumer per subject, shared by all its replicas:
 * `<service>-<subject with dashes>`, e.g. `orders-ticket-updated`.
 */
export const consumerName = (service: string, subject: string) => `${service}-${subject.replaceAll('.', '-')}`;

/** The service a durable consumer belongs to: its name without the `-<subject>` suffix. */
export function serviceOfConsumer(durable: string, subject: string): string {
  const suffix = consumerName('', subject);
  return durable.endsWith(suffix) && durable.length > suffix.length ? durable.slice(0, -suffix.length) : durable;
}

/** An event that failed for good is republished as `deadletter.<consumer>.<subject>`. */
export const DEAD_LETTER_PREFIX = 'deadletter';

export const deadLetterSubject = (consumer: string, subject: string) => `${DEAD_LETTER_PREFIX}.${consumer}.${subject}`;

export const isDeadLetter = (subject: string) => subject.startsWith(`${DEAD_LETTER_PREFIX}.`);

/**
 * What a dead letter carries besides the original payload and `traceparent`. A replayed one
 * keeps `eventId`, so the consumer's inbox sees the original event.
 */
export const deadLetterHeaders = {
  eventId: 'Ticketing-Event-Id',
  consumer: 'Ticketing-Consumer',
  reason: 'Ticketing-Reason',
  deliveries: 'Ticketing-Deliveries',
} as const;

/**
 * A replayed dead letter goes back to the one consumer that dropped it, as
 * `replay.<consumer>.<subject>`: each durable consumer also listens there.
 */
export const REPLAY_PREFIX = 'replay';

export const replaySubject = (consumer: string, subject: string) => `${REPLAY_PREFIX}.${consumer}.${subject}`;

/** The stream's subject filters: every family of subjects (`ticket.*`, ...), the dead letters and their replays. */
export const streamSubjectFilters = [
  ...new Set(subjects.map((s) => `${s.split('.')[0]}.*`)),
  `${DEAD_LETTER_PREFIX}.>`,
  `${REPLAY_PREFIX}.>`,
];

const TRACEPARENT = /^00-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The trace id of a `traceparent` header (`00-<trace id>-<span id>-<flags>`), or undefined when it is not one. */
export function traceIdOf(traceparent: string | null | undefined): string | undefined {
  return traceparent ? TRACEPARENT.exec(traceparent)?.[1] : undefined;
}

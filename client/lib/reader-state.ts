import 'server-only';
import type { ConsumerMessages } from '@nats-io/jetstream';
import type { NatsConnection, QueuedIterator, Status } from '@nats-io/transport-node';

/**
 * Whether the explorer's reader is reading the bus, as NATS itself tells it. Not reading once
 * the connection is lost (nats.js then reconnects by itself) or once the consumer's pulls go
 * unanswered: its idle heartbeats stop coming (a server that hangs), or JetStream has no
 * responder. Reading again once the consumer hears from the server: a message, or an idle
 * heartbeat on a quiet stream. A reconnection alone is not enough: the ordered consumer may
 * still have to be made again on a restarted server before it reads.
 */
export interface ReaderState {
  /** A message arrived: the reader reads. */
  read(): void;
  stop(): void;
}

/** Watches `nc` and `messages` from now on (reading, as it has just started), telling `report` of every change. */
export function followReaderState(nc: NatsConnection, messages: ConsumerMessages, report: (reading: boolean) => void): ReaderState {
  let reading = true;
  const set = (now: boolean) => {
    if (now === reading) return;
    reading = now;
    report(now);
  };
  // nats.js keeps a listener per status() iterator until it is stopped: this one ends with the read.
  const connection = nc.status() as AsyncIterable<Status> & Pick<QueuedIterator<Status>, 'stop'>;
  void (async () => {
    for await (const s of connection) {
      if (s.type === 'disconnect' || s.type === 'reconnecting' || s.type === 'staleConnection') set(false);
    }
  })().catch(() => undefined);
  // Ends by itself when the messages stop.
  void (async () => {
    for await (const n of messages.status()) {
      if (n.type === 'heartbeat') set(true);
      else if (n.type === 'heartbeats_missed' || n.type === 'no_responders' || n.type === 'stream_not_found') set(false);
    }
  })().catch(() => undefined);
  return { read: () => set(true), stop: () => connection.stop() };
}

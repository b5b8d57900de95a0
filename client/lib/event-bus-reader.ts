import 'server-only';
import {
  DeliverPolicy,
  jetstream,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstreamManager,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { connect, nkeyAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { REPLAY_PREFIX, serviceOfConsumer } from '@ticketing/contracts';
import { handlersOf, type BusEvent, type ConsumerFloor, type ExplorerHello, type HandledUpdate } from './bus-events';
import { busSettings } from './explorer-config';
import { redactPayload } from './explorer-redaction';
import { followReaderState } from './reader-state';

/**
 * The event explorer's view of the bus, read-only: an ordered consumer (ephemeral, no durable
 * name, nothing acknowledged) replays the stream from a chosen sequence and then follows it;
 * every ~500 ms the durable consumers' ack floors say which services have handled what
 * (consumer `<service>-<subject>` has handled event S of its subject once its ack floor
 * reaches S). While NATS is out of reach the read carries on, waiting: the page is told that
 * the reader is not reading, and again once it is (reader-state.ts). Nothing here changes the
 * stream or any service's consumer.
 */

/** How often the durable consumers' state is read. */
const POLL_MS = 500;
/** With history still to come, a gap this long between messages means there is none left. */
const QUIET_MS = 1500;
/**
 * How long a pull waits for messages. The server sends an idle heartbeat every half of it, so a
 * server that stops answering is noticed after two missed ones (about this long), and a quiet
 * stream shows it is read again within half of it once NATS is back.
 */
const PULL_EXPIRES_MS = 4000;

export interface BusSink {
  hello(hello: ExplorerHello): void;
  event(event: BusEvent): void;
  handled(update: HandledUpdate): void;
  caughtUp(): void;
  /** The reader stopped reading the bus (false) or reads it again (true); it starts reading. */
  reading(reading: boolean): void;
}

export interface ReadOptions {
  /** How much history first: the last N events, or all the stream still holds. */
  last: number | 'all';
  /** Resume after this sequence instead (a reconnecting EventSource's Last-Event-ID). */
  afterSeq?: number | undefined;
  signal: AbortSignal;
}

/** Sends history and then live events to `sink` until `signal` aborts; rejects when the bus cannot be read. */
export async function readBus(options: ReadOptions, sink: BusSink): Promise<void> {
  const { url, stream, prefix } = busSettings();
  const nc = await sharedConnection();
  // Lost meanwhile: said at once, rather than after a request's timeout.
  if (holder.ticketingExplorerNatsLost) throw unreachable(url);
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream).catch((err: unknown) => {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) {
      throw new Error(`The stream ${stream} does not exist yet: the services create it when they start.`);
    }
    throw err;
  });
  const { first_seq: firstSeq, last_seq: lastSeq } = info.state;
  const wanted =
    options.afterSeq !== undefined ? options.afterSeq + 1 : options.last === 'all' ? firstSeq : lastSeq - options.last + 1;
  const fromSeq = Math.max(wanted, firstSeq, 1);

  let consumers = await consumerFloors(jsm, stream, prefix);
  if (options.signal.aborted) return;
  sink.hello({ stream, prefix, fromSeq, lastSeq });
  sink.handled({ consumers });

  const ordered = await jetstream(nc).consumers.get(stream, {
    filter_subjects: prefix ? `${prefix}>` : '>',
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: fromSeq,
    // Deleted when the page goes; should this process die first, the server drops it soon.
    inactive_threshold: 30_000,
  });
  const messages = await ordered.consume({ expires: PULL_EXPIRES_MS });
  const state = followReaderState(nc, messages, (reading) => sink.reading(reading));
  const stop = () => void messages.stop();
  options.signal.addEventListener('abort', stop, { once: true });
  if (options.signal.aborted) stop();

  let polling = false;
  const poll = setInterval(() => {
    if (polling) return;
    polling = true;
    consumerFloors(jsm, stream, prefix)
      .then((next) => {
        if (JSON.stringify(next) === JSON.stringify(consumers)) return;
        consumers = next;
        sink.handled({ consumers });
      })
      .catch(() => {
        // The next poll tries again; a broken connection shows up in the message loop.
      })
      .finally(() => {
        polling = false;
      });
  }, POLL_MS);

  // "Caught up": the history asked for has been sent. Known from the last message's pending
  // count, or, when no message of this system's prefix was in that range, from a quiet moment.
  let caughtUp = false;
  const catchUp = () => {
    if (caughtUp) return;
    caughtUp = true;
    clearTimeout(quiet);
    sink.caughtUp();
  };
  const quiet = setTimeout(catchUp, QUIET_MS);
  if (fromSeq > lastSeq) catchUp();

  try {
    for await (const msg of messages) {
      state.read();
      sink.event(toBusEvent(msg, prefix, consumers));
      if (caughtUp) continue;
      if (msg.info.pending === 0) catchUp();
      else quiet.refresh();
    }
  } finally {
    state.stop();
    clearInterval(poll);
    clearTimeout(quiet);
    options.signal.removeEventListener('abort', stop);
    await messages.close().catch(() => undefined);
    await ordered.delete().catch(() => false);
  }
}

function toBusEvent(msg: JsMsg, prefix: string, consumers: ConsumerFloor[]): BusEvent {
  const headers: Record<string, string> = {};
  for (const key of msg.headers?.keys() ?? []) headers[key] = msg.headers!.get(key);
  const text = msg.string();
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    payload = text;
  }
  const subject = msg.subject.startsWith(prefix) ? msg.subject.slice(prefix.length) : msg.subject;
  const event: BusEvent = {
    seq: msg.seq,
    subject,
    time: msg.time.toISOString(),
    headers,
    payload: redactPayload(subject, payload),
    listeners: [],
    handledBy: [],
  };
  return { ...event, ...handlersOf(event, consumers) };
}

/** Every durable consumer of the stream (one per service and subject) and how far it has acknowledged. */
async function consumerFloors(jsm: JetStreamManager, stream: string, prefix: string): Promise<ConsumerFloor[]> {
  const floors: ConsumerFloor[] = [];
  for await (const ci of jsm.consumers.list(stream)) {
    const durable = ci.config.durable_name;
    // A service's consumer takes its subject and the dead letters replayed to it (replay.<consumer>.<subject>).
    const filter = [ci.config.filter_subject, ...(ci.config.filter_subjects ?? [])].find(
      (f) => f?.startsWith(prefix) && !f.startsWith(`${prefix}${REPLAY_PREFIX}.`),
    );
    if (!durable || !filter) continue;
    const subject = filter.slice(prefix.length);
    floors.push({ name: durable, service: serviceOfConsumer(durable, subject), subject, ackFloor: ci.ack_floor.stream_seq });
  }
  return floors.sort((a, b) => a.name.localeCompare(b.name));
}

/** One NATS connection per server process, shared by every open explorer page, and whether it is lost right now. */
const holder = globalThis as typeof globalThis & { ticketingExplorerNats?: Promise<NatsConnection>; ticketingExplorerNatsLost?: boolean };

const unreachable = (url: string, cause?: unknown) => new Error(`Cannot reach NATS at ${url}.`, { cause });

async function sharedConnection(): Promise<NatsConnection> {
  const existing = await holder.ticketingExplorerNats?.catch(() => undefined);
  if (existing && !existing.isClosed()) return existing;
  const { url, nkeySeed, tlsCaFile, inboxPrefix } = busSettings();
  const created = connect({
    servers: url.split(',').map((s) => s.trim()),
    name: 'client-event-explorer',
    inboxPrefix,
    ...(nkeySeed ? { authenticator: nkeyAuthenticator(new TextEncoder().encode(nkeySeed)) } : {}),
    ...(tlsCaFile ? { tls: { caFile: tlsCaFile } } : {}),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    timeout: 3000,
  }).then(
    (nc) => {
      holder.ticketingExplorerNatsLost = false;
      void (async () => {
        for await (const s of nc.status()) {
          if (s.type === 'disconnect' || s.type === 'reconnecting') holder.ticketingExplorerNatsLost = true;
          else if (s.type === 'reconnect') holder.ticketingExplorerNatsLost = false;
        }
      })();
      return nc;
    },
    (err: unknown) => {
      if (holder.ticketingExplorerNats === created) holder.ticketingExplorerNats = undefined;
      throw unreachable(url, err);
    },
  );
  holder.ticketingExplorerNats = created;
  return created;
}

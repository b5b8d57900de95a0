import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  jetstream,
  jetstreamManager,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type StreamConfig,
} from '@nats-io/jetstream';
import {
  connect,
  headers as natsHeaders,
  nanos,
  nkeyAuthenticator,
  type ConnectionOptions,
  type NatsConnection,
} from '@nats-io/transport-node';
import { replaySubject, streamSubjectFilters } from '@ticketing/contracts';
import type { Logger } from 'pino';
import { waitFor } from '../service/wait-for.js';
import type { Answering, Deliveries, Delivery, EventTransport, PublishOptions, Reply, Request, StoreUsage, SubscribeOptions } from './transport.js';

export interface BusOptions {
  url: string;
  /** Connection name, shown by `nats-server` monitoring (NATS Streaming's client id). */
  name: string;
  stream: string;
  /** Prepended to every subject, so separate systems can share one server. */
  subjectPrefix: string;
  /** False for a tool that only reads and repairs (the stream is the services' to make and size). */
  manageStream?: boolean;
  /** The stream's size limit (default 1 GiB). */
  maxBytes?: number;
  /** How long start-up waits for NATS to be reachable (default 10 s). */
  startupWaitMs?: number;
  /** This identity's nkey seed (NATS_NKEY_SEED); without one the connection is anonymous. */
  nkeySeed?: string;
  /** The CA (PEM file, NATS_TLS_CA) that signed the server's certificate: connect over TLS. */
  tlsCaFile?: string;
  /**
   * Where replies come (default `_INBOX_<name>`): the server lets each identity subscribe only
   * to its own, so no one reads another's JetStream replies or pulled messages.
   */
  inboxPrefix?: string;
}

/** The connection settings of a bus identity: servers, credentials, TLS and its own reply inbox. */
export function natsConnectionOptions(options: Pick<BusOptions, 'url' | 'name' | 'nkeySeed' | 'tlsCaFile' | 'inboxPrefix'>): ConnectionOptions {
  return {
    servers: options.url.split(',').map((s) => s.trim()),
    name: options.name,
    inboxPrefix: options.inboxPrefix ?? `_INBOX_${options.name}`,
    ...(options.nkeySeed ? { authenticator: nkeyAuthenticator(new TextEncoder().encode(options.nkeySeed)) } : {}),
    ...(options.tlsCaFile ? { tls: { caFile: options.tlsCaFile } } : {}),
  };
}

/** JetStream drops a message whose `Nats-Msg-Id` it has seen within this window. */
export const DUPLICATE_WINDOW_MS = 2 * 60 * 1000;
/** Old events age out; a week covers any replica that was down for a while. */
export const STREAM_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * The event bus on NATS JetStream: one connection, one stream holding every subject, a durable
 * pull consumer per group. The event id is the `Nats-Msg-Id`, JetStream's de-duplication key.
 */
export class Bus implements EventTransport {
  private constructor(
    readonly nc: NatsConnection,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
    readonly options: BusOptions,
  ) {}

  static async connect(options: BusOptions, logger: Logger): Promise<Bus> {
    const nc = await waitFor(
      `NATS at ${options.url}`,
      () => connect({ ...natsConnectionOptions(options), maxReconnectAttempts: -1, reconnectTimeWait: 1000 }),
      { logger, timeoutMs: options.startupWaitMs ?? 10_000 },
    );
    const jsm = await jetstreamManager(nc);
    const bus = new Bus(nc, jetstream(nc), jsm, options);
    if (options.manageStream !== false) await bus.ensureStream();
    void logStatus(nc, logger);
    return bus;
  }

  get stream() {
    return this.options.stream;
  }

  /** The wire subject for a contract subject, e.g. `ticket.created` -> `dev.ticket.created`. */
  subject(name: string): string {
    return `${this.options.subjectPrefix}${name}`;
  }

  async publish(subject: string, data: string | Uint8Array, options: PublishOptions) {
    const h = natsHeaders();
    for (const [k, v] of Object.entries(options.headers ?? {})) if (v) h.set(k, v);
    return this.js.publish(this.subject(subject), data, { msgID: options.id, headers: h });
  }

  /** Creates the stream, or brings its subjects up to date; safe to race with other services. */
  async ensureStream(): Promise<void> {
    const subjects = streamSubjectFilters.map((f) => this.subject(f));
    const config: Partial<StreamConfig> & { name: string } = {
      name: this.stream,
      subjects,
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
      max_age: nanos(STREAM_MAX_AGE_MS),
      // Full: a publish is refused (the event waits in its outbox) rather than an unread one dropped.
      max_bytes: this.options.maxBytes ?? 1 << 30,
      discard: DiscardPolicy.New,
    };
    for (let attempt = 0; ; attempt++) {
      try {
        const info = await this.jsm.streams.info(this.stream);
        const missing = subjects.filter((s) => !info.config.subjects?.includes(s));
        const limitsDiffer = info.config.max_bytes !== config.max_bytes || info.config.discard !== config.discard;
        if (missing.length > 0 || limitsDiffer) {
          await this.jsm.streams.update(this.stream, {
            ...info.config,
            subjects: [...(info.config.subjects ?? []), ...missing],
            max_bytes: config.max_bytes,
            discard: config.discard,
          });
        }
        return;
      } catch (err) {
        if (!isNotFound(err) || attempt > 2) throw err;
        try {
          await this.jsm.streams.add(config);
          return;
        } catch (addErr) {
          // Another service created it first: loop round and read it.
          if (attempt > 2) throw addErr;
        }
      }
    }
  }

  /**
   * One durable pull consumer per (service, subject), shared by every replica. It takes the
   * subject's events and the dead letters replayed to it (`replay.<consumer>.<subject>`).
   */
  async ensureConsumer(durable: string, subject: string, ackWaitMs: number) {
    const config = {
      durable_name: durable,
      filter_subjects: [this.subject(subject), this.subject(replaySubject(durable, subject))],
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(ackWaitMs),
      deliver_policy: DeliverPolicy.All,
      max_ack_pending: 1000,
    };
    try {
      await this.jsm.consumers.info(this.stream, durable);
      // A consumer made before replays existed had the one filter subject: it takes both now.
      await this.jsm.consumers.update(this.stream, durable, {
        ack_wait: config.ack_wait,
        max_ack_pending: config.max_ack_pending,
        filter_subject: '',
        filter_subjects: config.filter_subjects,
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.jsm.consumers.add(this.stream, config);
    }
    return this.js.consumers.get(this.stream, durable);
  }

  async subscribe(group: string, subject: string, options: SubscribeOptions): Promise<Deliveries> {
    const consumer = await this.ensureConsumer(group, subject, options.ackWaitMs);
    const messages = await consumer.consume({ max_messages: options.maxInFlight });
    return {
      async *[Symbol.asyncIterator]() {
        for await (const msg of messages) yield jetStreamDelivery(msg);
      },
      async close() {
        await messages.close();
      },
    };
  }

  /** Core NATS request-reply: the reply comes to this connection's own inbox. */
  request(subject: string, body: string, timeoutMs: number): Promise<Reply> {
    return this.nc.request(this.subject(subject), body, { timeout: timeoutMs });
  }

  /** A queue group: core NATS gives each request to one subscriber of the group. */
  answer(subject: string, group: string, respond: (request: Request) => void): Answering {
    const subscription = this.nc.subscribe(this.subject(subject), {
      queue: group,
      callback: (err, msg) => {
        if (!err) respond(msg);
      },
    });
    return {
      get closed() {
        return subscription.isClosed();
      },
      drain: () => subscription.drain(),
    };
  }

  async usage(): Promise<StoreUsage> {
    const { state, config } = await this.jsm.streams.info(this.stream);
    return { bytes: state.bytes, messages: state.messages, maxBytes: config.max_bytes };
  }

  /** Readiness: the connection is up and the server answers. */
  async ping(): Promise<void> {
    if (this.nc.isClosed()) throw new Error('NATS connection closed');
    await this.nc.flush();
  }

  /** Lets in-flight messages finish, then closes. */
  async close(): Promise<void> {
    if (!this.nc.isClosed()) await this.nc.drain();
  }
}

/** A JetStream message as the listeners see every transport's: `retry` is a delayed nak, `reject` a term. */
export function jetStreamDelivery(msg: JsMsg): Delivery {
  return {
    data: msg.data,
    json: () => msg.json(),
    header: (name) => msg.headers?.get(name) || undefined,
    id: msg.headers?.get('Nats-Msg-Id') || `${msg.info.stream}:${msg.seq}`,
    position: msg.seq,
    deliveryCount: msg.info.deliveryCount,
    publishedAt: Math.floor(msg.info.timestampNanos / 1e6),
    ack: () => msg.ack(),
    retry: (delayMs) => msg.nak(delayMs),
    reject: (reason) => msg.term(reason),
  };
}

/** JetStream's API error codes for a missing stream and a missing consumer. */
const STREAM_NOT_FOUND = 10059;
const CONSUMER_NOT_FOUND = 10014;

function isNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && (err.code === STREAM_NOT_FOUND || err.code === CONSUMER_NOT_FOUND);
}

async function logStatus(nc: NatsConnection, logger: Logger) {
  for await (const s of nc.status()) {
    if (s.type === 'disconnect' || s.type === 'reconnect' || s.type === 'error') {
      logger.warn({ status: s.type }, 'NATS connection status');
    }
  }
}

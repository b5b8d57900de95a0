/**
 * What the services ask of a message bus, and nothing more. The listeners, the outbox relay,
 * dead letters and requests use only this; JetStream (`Bus` in bus.ts) is the implementation
 * that ships. A second one (Kafka, RabbitMQ: docs/guide/22-variations.md) would have to pass
 * the same behavioural tests (common/test/transport-contract.ts).
 *
 * Subjects are the contract's (`ticket.created`); a transport maps them to its own names.
 */
export interface EventTransport {
  /**
   * Stores an event for every group that subscribes to its subject, and resolves once it is
   * stored. A second publish with the same `id` within a few minutes is dropped, so the outbox
   * relay can publish again after a crash without a duplicate.
   */
  publish(subject: string, data: string | Uint8Array, options: PublishOptions): Promise<unknown>;

  /**
   * A durable subscription: `group` (one per service and subject) survives restarts and keeps its
   * place, and each event goes to one member of the group, so replicas share the work. An event
   * is delivered again until acknowledged: after `retry`, or when `ackWaitMs` passes without an
   * answer (the member died). The group also takes the dead letters replayed to it.
   */
  subscribe(group: string, subject: string, options: SubscribeOptions): Promise<Deliveries>;

  /** Asks one member of the answering group and waits at most `timeoutMs` for its reply. */
  request(subject: string, body: string, timeoutMs: number): Promise<Reply>;

  /** Answers `subject` in `group`: each request goes to one member of the group. */
  answer(subject: string, group: string, respond: (request: Request) => void): Answering;

  /** Readiness: the connection is up and the server answers. */
  ping(): Promise<void>;

  /** How full the event store is: the services export it as a metric and prune by it. */
  usage(): Promise<StoreUsage>;

  /** Lets deliveries in hand finish, then closes. */
  close(): Promise<void>;
}

export interface PublishOptions {
  /** The event id: the de-duplication key. */
  id: string;
  headers?: Record<string, string | undefined>;
}

export interface SubscribeOptions {
  /** How long the server waits for an answer before delivering an event again. */
  ackWaitMs: number;
  /** Events delivered to this member and not yet answered, at most. */
  maxInFlight: number;
}

/** One delivery of a stored event to a member of a group. */
export interface Delivery {
  readonly data: Uint8Array;
  json(): unknown;
  header(name: string): string | undefined;
  /** The id it was published with (or, if none, one made from its position). */
  readonly id: string;
  /** Its place in the store: the same on every delivery of it (Kafka's offset, JetStream's sequence). */
  readonly position: number;
  /** 1 on the first delivery, 2 on the next... */
  readonly deliveryCount: number;
  /** When it was stored, in ms since the epoch. */
  readonly publishedAt: number;
  /** Handled: never deliver it to this group again. */
  ack(): void;
  /** Not handled this time: deliver it again after `delayMs`. */
  retry(delayMs: number): void;
  /** Never deliver it to this group again, though not handled (it has gone to the dead letters). */
  reject(reason: string): void;
}

/** A member's deliveries, in the order stored; `close` stops taking more. */
export interface Deliveries extends AsyncIterable<Delivery> {
  close(): Promise<void>;
}

export interface Reply {
  json(): unknown;
}

export interface Request {
  json(): unknown;
  respond(body: string): void;
}

export interface Answering {
  readonly closed: boolean;
  /** Stops taking requests and waits for those taken to be answered. */
  drain(): Promise<void>;
}

export interface StoreUsage {
  bytes: number;
  messages: number;
  maxBytes: number;
}

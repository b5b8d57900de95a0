import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, headers as natsHeaders, nanos } from '@nats-io/transport-node';
import pg from 'pg';
import { pino, type Logger } from 'pino';
import { count, isNull } from 'drizzle-orm';
import { expect, inject } from 'vitest';
import { z } from 'zod';
import {
  baseConfigSchema,
  consumerName,
  createServiceContext,
  createSessionSigner,
  deadLetterSubject,
  defaultListenerOptions,
  handleMessage,
  loadConfig,
  outbox,
  SESSION_COOKIE,
  startListeners,
  type BaseConfig,
  type CurrentUser,
  type Listener,
  type ListenerOptions,
  type RunningListeners,
  type ServiceContext,
} from '@ticketing/common';

/**
 * Test kit: real PostgreSQL and the real NATS server, isolated per test file. Each file
 * gets its own database, and its own stream and subject prefix, so parallel files, other
 * services' tests and a running `npm start` never see each other's data or events.
 */

declare module 'vitest' {
  export interface ProvidedContext {
    /** Server-level URL; each test file creates its own database on it. */
    databaseAdminUrl: string;
  }
}

export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const suffix = () => randomBytes(5).toString('hex');

/** One Ed25519 key pair per test process, standing in for the auth service's keys. */
export const testKeys = (() => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
})();

/** A signed-in user for route tests: their id, email and the Cookie header that proves it. */
export async function aUser() {
  const user = { id: randomUUID(), email: `user-${randomUUID().slice(0, 8)}@example.com` };
  return { ...user, cookie: await sessionCookie(user) };
}

/** A `Cookie` header value holding a valid session for `user`. */
export async function sessionCookie(user: CurrentUser): Promise<string> {
  const sign = await createSessionSigner(testKeys.privateKeyPem);
  return `${SESSION_COOKIE}=${await sign(user)}`;
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject('databaseAdminUrl');
  const name = `test_${suffix()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export interface TestBus {
  env: { NATS_URL: string; NATS_STREAM: string; NATS_SUBJECT_PREFIX: string };
  /** Deletes the stream (and with it every consumer). */
  remove(): Promise<void>;
}

/** A stream and subject prefix of their own, on the shared NATS server or on `url`. */
export function createTestBus(url = NATS_URL): TestBus {
  const id = suffix();
  const env = { NATS_URL: url, NATS_STREAM: `TEST_${id}`, NATS_SUBJECT_PREFIX: `t${id}.` };
  return {
    env,
    async remove() {
      const nc = await connect({ servers: url });
      try {
        const jsm = await jetstreamManager(nc);
        await jsm.streams.delete(env.NATS_STREAM).catch(() => false);
      } finally {
        await nc.close();
      }
    },
  };
}

export interface TestService<C extends BaseConfig> {
  service: ServiceContext<C>;
  database: TestDatabase;
  bus: TestBus;
  /** Starts this instance's listeners (tests that only call routes need none). */
  listen(listeners: Listener[], options?: Partial<ListenerOptions>): Promise<RunningListeners>;
  close(): Promise<void>;
}

export const fastListenerOptions: Partial<ListenerOptions> = {
  maxDeliveries: 3,
  retryDelayMs: 50,
  maxRetryDelayMs: 200,
  ackWaitMs: 2_000,
};

/**
 * A connected service context on a fresh database and an isolated stream. Pass `shared` from
 * another TestService to run a second replica on the same database and stream.
 */
export async function createTestService<S extends z.ZodType<BaseConfig>>(options: {
  name: string;
  migrationsFolder: string;
  configSchema?: S;
  env?: Record<string, string>;
  shared?: { database: TestDatabase; bus: TestBus };
  /** Defaults to a silent logger (LOG_LEVEL shows logs); see `recordingLogger`. */
  logger?: Logger;
}): Promise<TestService<z.infer<S>>> {
  const database = options.shared?.database ?? (await createTestDatabase());
  const bus = options.shared?.bus ?? createTestBus();
  const config = loadConfig(options.configSchema ?? baseConfigSchema, {
    NODE_ENV: 'test',
    PORT: '0',
    DATABASE_URL: database.url,
    JWT_PUBLIC_KEY: testKeys.publicKeyPem,
    ...bus.env,
    ...options.env,
  }) as z.infer<S>;
  const service = await createServiceContext({
    name: options.name,
    config,
    migrationsFolder: options.migrationsFolder,
    logger: options.logger ?? pino({ level: process.env.LOG_LEVEL ?? 'silent' }),
    relayIntervalMs: 200,
  });
  const running: RunningListeners[] = [];
  return {
    service,
    database,
    bus,
    async listen(listeners, opts) {
      const r = await startListeners(service, listeners, { ...fastListenerOptions, ...opts });
      running.push(r);
      return r;
    },
    async close() {
      for (const r of running) await r.stop();
      await service.close();
      if (!options.shared) {
        await bus.remove();
        await database.drop();
      }
    },
  };
}

export interface ReceivedEvent {
  subject: string;
  payload: unknown;
  headers: Record<string, string>;
  seq: number;
}

/** Every message in the test stream on `subject` (without the prefix; wildcards allowed), oldest first. */
export async function readStream(bus: TestBus, subject: string): Promise<ReceivedEvent[]> {
  const nc = await connect({ servers: NATS_URL });
  try {
    const jsm = await jetstreamManager(nc);
    const prefix = bus.env.NATS_SUBJECT_PREFIX;
    const info = await jsm.consumers.add(bus.env.NATS_STREAM, {
      filter_subject: `${prefix}${subject}`,
      ack_policy: AckPolicy.None,
      deliver_policy: DeliverPolicy.All,
      inactive_threshold: nanos(30_000),
    });
    const consumer = await jetstream(nc).consumers.get(bus.env.NATS_STREAM, info.name);
    const events: ReceivedEvent[] = [];
    for (let i = 0; i < info.num_pending; i++) {
      const m = await consumer.next({ expires: 2000 });
      if (!m) break;
      const headers: Record<string, string> = {};
      for (const [k, v] of m.headers ?? []) headers[k] = v.join(',');
      events.push({ subject: m.subject.slice(prefix.length), payload: parseJson(m.string()), headers, seq: m.seq });
    }
    await jsm.consumers.delete(bus.env.NATS_STREAM, info.name).catch(() => false);
    return events;
  } finally {
    await nc.close();
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 20_000, intervalMs = 50, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Publishes an event on the test stream as another service would (the payload is not
 * validated, so tests can send bad ones). Returns the event id.
 */
export async function publishTestEvent(
  bus: TestBus,
  subject: string,
  payload: unknown,
  options: { id?: string; raw?: string } = {},
): Promise<string> {
  const id = options.id ?? randomUUID();
  const nc = await connect({ servers: NATS_URL });
  try {
    const h = natsHeaders();
    h.set('Nats-Msg-Id', id);
    await jetstream(nc).publish(
      `${bus.env.NATS_SUBJECT_PREFIX}${subject}`,
      options.raw ?? JSON.stringify(payload),
      { msgID: id, headers: h },
    );
    return id;
  } finally {
    await nc.close();
  }
}

/**
 * Delivers the next `listener` event to `service` and handles it, but loses the ack, as when
 * a replica dies right after its transaction commits. The server redelivers it after ack_wait.
 */
export async function handleNextWithLostAck(
  service: ServiceContext,
  listener: Listener,
  options: Partial<ListenerOptions> = {},
) {
  const opts = { ...defaultListenerOptions, ...fastListenerOptions, ackWaitMs: 1000, ...options };
  const durable = consumerName(service.name, listener.subject);
  const consumer = await service.bus.ensureConsumer(durable, listener.subject, opts.ackWaitMs);
  const msg = await consumer.next({ expires: 5000 });
  if (!msg) throw new Error(`no ${listener.subject} event to deliver`);
  const ackLost = new Proxy(msg, {
    get: (target, prop) => {
      if (prop === 'ack') return () => {};
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  await handleMessage(service, listener, durable, ackLost, opts);
}

export interface LogRecord {
  level: string;
  msg?: string;
  [field: string]: unknown;
}

/** A real pino logger that keeps every record, for tests that check what was logged. */
export function recordingLogger(): { logger: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const logger = pino(
    { level: 'trace', formatters: { level: (label) => ({ level: label }) } },
    { write: (line: string) => void records.push(JSON.parse(line) as LogRecord) },
  );
  return { logger, records };
}

/** The error shape of the HTTP contract: exactly these entries, each a message and maybe a field. */
export function expectErrors(
  res: { status: number; type: string; body: unknown },
  status: number,
  fields: (string | undefined)[],
) {
  const aMessage = expect.stringMatching(/\S/);
  expect(res.status).toBe(status);
  expect(res.type).toBe('application/json');
  expect(res.body).toEqual({
    errors: fields.map((field) => (field === undefined ? { message: aMessage } : { message: aMessage, field })),
  });
}

/**
 * The payloads on `subject` once every event committed so far has been published (the
 * service's outbox holds nothing unsent), so a missing event is really missing, not late.
 */
export async function publishedEvents(t: { service: ServiceContext; bus: TestBus }, subject: string): Promise<unknown[]> {
  await eventually(
    async () => {
      const [row] = await t.service.database.db.select({ n: count() }).from(outbox).where(isNull(outbox.sentAt));
      return row?.n === 0;
    },
    { what: 'outbox drained' },
  );
  return (await readStream(t.bus, subject)).map((e) => e.payload);
}

/** The sum of the samples of `name` whose labels include `labels`, in Prometheus text (GET /metrics); 0 if none. */
export function metricValue(metricsText: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of metricsText.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) sum += Number(match[3]);
  }
  return sum;
}

/** Events a listener can never handle: one not JSON at all, one JSON that breaks every event contract. */
export async function publishPoison(bus: TestBus, subject: string): Promise<{ notJson: string; offContract: string }> {
  return {
    notJson: await publishTestEvent(bus, subject, null, { raw: '{"id": "half an event' }),
    offContract: await publishTestEvent(bus, subject, { id: 'not-a-uuid', version: -1, ticket: 'none' }),
  };
}

/**
 * What a poison event must leave behind once handled for good: the event on
 * `deadletter.<consumer>.<subject>` under its id, one error log line naming that id, and
 * `events_dead_lettered_total{subject}` on the service's GET /metrics counting exactly `eventIds`.
 */
export async function expectDeadLettered(
  t: { bus: TestBus; http: { get(path: string): PromiseLike<{ text: string }> } },
  records: LogRecord[],
  where: { consumer: string; subject: string },
  eventIds: string[],
) {
  const { consumer, subject } = where;
  const dead = await eventually(
    async () => {
      const got = await readStream(t.bus, deadLetterSubject(consumer, subject));
      return got.length >= eventIds.length && got;
    },
    { what: `${eventIds.length} dead letters of ${consumer}` },
  );
  expect(dead.map((d) => d.headers['Ticketing-Event-Id']).sort()).toEqual([...eventIds].sort());
  for (const eventId of eventIds) {
    const lines = await eventually(() => {
      const found = records.filter((r) => r.msg === 'event moved to dead letter' && r.eventId === eventId);
      return found.length > 0 && found;
    });
    expect(lines).toEqual([expect.objectContaining({ level: 'error', consumer, subject, reason: expect.any(String) })]);
  }
  const metrics = await t.http.get('/metrics');
  expect(metricValue(metrics.text, 'events_dead_lettered_total', { subject })).toBe(eventIds.length);
  return dead;
}

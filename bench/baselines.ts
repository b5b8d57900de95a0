import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  StorageType,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { now } from './stats.js';

/** Forks `file` (a server that reports its port over IPC) and waits for its port. */
async function forkServer(file: string, env: Record<string, string> = {}) {
  const child = fork(fileURLToPath(new URL(file, import.meta.url)), {
    execArgv: ['--conditions=source', '--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
  });
  return { child, port };
}

/** The front doors measured in front of the bare route: `npm start`'s, and the alternatives to it. */
export const FRONT_DOORS = {
  undici: 'undici Pool (npm start)',
  'http-global': 'node:http, global agent',
  'http-lifo': 'node:http, keep-alive agent (lifo)',
} as const;
export type FrontDoorKind = keyof typeof FRONT_DOORS;

/** A front door in front of the bare route (bare-front-door.ts), in a process of its own. */
export interface BareFrontDoor {
  kind: FrontDoorKind;
  url: string;
  pid: number;
}

/**
 * The bare Express route, in a process of its own as the real services are; and front doors in
 * front of it, each in another, for what the proxy hop alone costs.
 */
export class BareServer {
  private readonly doors: ChildProcess[] = [];

  private constructor(
    private readonly server: ChildProcess,
    readonly url: string,
    private readonly port: number,
  ) {}

  static async start(page: { tickets: unknown[]; link: string | null }): Promise<BareServer> {
    const server = await forkServer('./bare-server.ts');
    server.child.send({ page });
    return new BareServer(server.child, `http://127.0.0.1:${server.port}`, server.port);
  }

  get pid() {
    return this.server.pid!;
  }

  /** Starts the front door `kind` in front of this server. */
  async frontDoor(kind: FrontDoorKind): Promise<BareFrontDoor> {
    const door = await forkServer('./bare-front-door.ts', { BARE_PORT: String(this.port), FRONT_DOOR: kind });
    this.doors.push(door.child);
    return { kind, url: `http://127.0.0.1:${door.port}`, pid: door.child.pid! };
  }

  stop() {
    this.server.kill();
    for (const door of this.doors) door.kill();
  }
}

/**
 * A raw JetStream round trip: publish to a stream of its own (file storage, as the system's)
 * and receive through a durable pull consumer, with the same client library the services use
 * and nothing else: no outbox, no database, no handler.
 */
export class RawJetStream {
  private waiting = new Map<string, () => void>();
  private seq = 0;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly stream: string,
    private readonly subject: string,
    private readonly messages: ConsumerMessages,
  ) {
    void (async () => {
      for await (const msg of messages) {
        msg.ack();
        this.waiting.get(msg.string())?.();
      }
    })();
  }

  static async open(natsUrl: string, runId: string): Promise<RawJetStream> {
    const nc = await connect({ servers: natsUrl, name: 'bench-raw' });
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    const stream = `BENCH_RAW_${runId}`;
    const subject = `benchraw${runId}.ping`;
    await jsm.streams.add({ name: stream, subjects: [subject], storage: StorageType.File });
    await jsm.consumers.add(stream, {
      durable_name: 'raw',
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
    });
    const consumer = await js.consumers.get(stream, 'raw');
    const messages = await consumer.consume({ max_messages: 20 });
    return new RawJetStream(nc, js, jsm, stream, subject, messages);
  }

  /** Milliseconds from publishing one message to its delivery to the consumer. */
  async roundTrip(): Promise<number> {
    const id = String(++this.seq);
    const started = now();
    const delivered = new Promise<number>((resolve) => this.waiting.set(id, () => resolve(now() - started)));
    await this.js.publish(this.subject, id, { msgID: `${this.stream}-${id}` });
    const ms = await delivered;
    this.waiting.delete(id);
    return ms;
  }

  async close(): Promise<void> {
    await this.messages.close();
    await this.jsm.streams.delete(this.stream).catch(() => false);
    await this.nc.close();
  }
}

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

/** The bare Express route, in a process of its own as the real services are. */
export class BareServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async start(page: { tickets: unknown[]; link: string | null }): Promise<BareServer> {
    const child = fork(fileURLToPath(new URL('./bare-server.ts', import.meta.url)), {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const port = await new Promise<number>((resolve, reject) => {
      child.once('message', (m: { port: number }) => resolve(m.port));
      child.once('exit', (code) => reject(new Error(`bare server exited with ${code}`)));
    });
    child.send({ page });
    return new BareServer(child, `http://127.0.0.1:${port}`);
  }

  get pid() {
    return this.child.pid!;
  }

  stop() {
    this.child.kill();
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

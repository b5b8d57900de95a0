import { eventStreamMessages } from '@ticketing/testkit/api-user';
import { describeAnswer, unreachable } from './answers.js';
import { consumerName, handlersOf, type BusEvent, type ConsumerFloor } from '@ticketing/contracts';
import { fail, waitFor } from './check.js';

/** How much of the stream's history the feed is opened with: enough for what a check looks back at. */
const HISTORY = 500;

/**
 * What the event explorer's feed (`GET /api/events/stream`, docs/guide/11-event-explorer.md)
 * says about the bus: every event, and the durable consumers' ack floors, which say which
 * services have handled which event. The checks see events exactly as the learner sees them on
 * `/events`, through the front door, and need no NATS credentials.
 */
export class BusWatch {
  readonly events: BusEvent[] = [];
  consumers: ConsumerFloor[] = [];
  hello: { stream: string; prefix: string } | undefined;
  private caughtUp = false;
  private problem: string | undefined;
  private reading = true;

  private constructor(private readonly abort: AbortController) {}

  static async open(url: string): Promise<BusWatch> {
    const abort = new AbortController();
    const res = await fetch(`${url}/api/events/stream?last=${HISTORY}`, { headers: { accept: 'text/event-stream' }, signal: abort.signal }).catch(
      (err: unknown) => unreachable(url, err),
    );
    if (res.status === 404) {
      fail(
        'the event explorer is off (GET /api/events/stream answered 404): npm start turns it on unless NODE_ENV=production; ' +
          'in a cluster only the dev overlay can have it (chapter 9)',
      );
    }
    if (res.status === 403) fail('the event explorer is served to the machine running npm start only (403): run the checkpoint there');
    if (!res.ok || !res.headers.get('content-type')?.startsWith('text/event-stream')) {
      const body = await res.json().catch(() => undefined);
      fail(`GET /api/events/stream answered ${describeAnswer({ status: res.status, body })}`);
    }
    const watch = new BusWatch(abort);
    void watch.follow(res.body!);
    await waitFor('the event explorer sending the stream\'s history', () => watch.check() ?? (watch.caughtUp || undefined), 20_000);
    return watch;
  }

  private async follow(body: ReadableStream<Uint8Array>) {
    try {
      for await (const message of eventStreamMessages(body)) {
        const data = message.data === undefined ? undefined : JSON.parse(message.data);
        if (message.event === 'hello') this.hello = data;
        else if (message.event === 'bus-event') this.events.push(data);
        else if (message.event === 'handled') this.consumers = data.consumers;
        else if (message.event === 'caught-up') this.caughtUp = true;
        else if (message.event === 'reader') this.reading = data.reading;
        else if (message.event === 'problem') this.problem = data.message;
      }
      this.problem ??= 'the event explorer ended its stream';
    } catch (err) {
      if (!this.abort.signal.aborted) this.problem = `the event explorer's stream broke: ${String(err)}`;
    }
  }

  /** Fails when the explorer cannot read the bus at all. */
  private check(): undefined {
    if (this.problem) fail(`the event explorer cannot read the bus: ${this.problem}`);
    return undefined;
  }

  /** The first event that `match` accepts, once it is on the bus. */
  async event(what: string, match: (event: BusEvent) => boolean, timeoutMs: number): Promise<BusEvent> {
    return waitFor(`${what} on the bus`, () => this.check() ?? this.events.find(match), timeoutMs, () => this.state());
  }

  /** Which services listen to `event`, and which of them have handled it (acknowledged it after their commit). */
  handlers(event: BusEvent): { listeners: string[]; handledBy: string[] } {
    // A consumer has handled every event of its subject up to its ack floor (chapter 11, "How it works").
    return handlersOf(event, this.consumers);
  }

  /** Waits until each of `services` has handled `event`; fails naming the ones that have not. */
  async handledBy(event: BusEvent, services: readonly string[], timeoutMs: number): Promise<void> {
    const missing = () => services.filter((s) => !this.handlers(event).handledBy.includes(s));
    await waitFor(
      `${event.subject} #${event.seq} handled by ${services.join(', ')}`,
      () => this.check() ?? (missing().length === 0 || undefined),
      timeoutMs,
      () => `not handled by ${missing().map((s) => `${s} (its consumer ${consumerName(s, event.subject)}: is ${s} running?)`).join(', ')}`,
    );
  }

  /** The events whose payload mentions `id` (an order's, a ticket's), in stream order. */
  about(id: string): BusEvent[] {
    return this.events.filter((e) => JSON.stringify(e.payload).includes(id));
  }

  private state(): string {
    return this.reading ? `the explorer has seen ${this.events.length} events` : 'the explorer says it is reconnecting to the bus (is NATS running?)';
  }

  close(): void {
    this.abort.abort();
  }
}

import pg from 'pg';
import type { Logger } from 'pino';

type Handler = (payload: string) => void;

const CHANNEL = /^[a-z][a-z0-9_]*$/;
const MAX_RECONNECT_DELAY_MS = 5000;

/**
 * PostgreSQL's LISTEN/NOTIFY on one connection of its own: a commit in any replica of the
 * service (a trigger's `pg_notify`) reaches every replica, so work waiting on another
 * transaction wakes when it commits instead of polling for it. A notification is delivered only
 * on commit and only to a connection listening then: after a lost connection, `onReconnect`
 * handlers run so waiters look again at what they may have missed.
 */
export class DatabaseNotifications {
  private client: pg.Client | undefined;
  private readonly handlers = new Map<string, Set<Handler>>();
  private readonly reconnectHandlers = new Set<() => void>();
  private closed = false;
  private retryMs = 100;
  private listened = false;

  constructor(
    private readonly url: string,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    await this.connect();
  }

  /** Calls `handler` with each payload sent on `channel` from now on; returns the unsubscribe. */
  on(channel: string, handler: Handler): () => void {
    if (!CHANNEL.test(channel)) throw new Error(`not a channel name: ${channel}`);
    let set = this.handlers.get(channel);
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
      const client = this.client;
      if (client) {
        this.listened = false; // until this channel is listened to as well
        client.query(`LISTEN ${channel}`).then(
          () => {
            if (this.client === client) this.listened = true;
          },
          (err: unknown) => this.logger.warn({ err, channel }, 'LISTEN failed'),
        );
      }
    }
    set.add(handler);
    return () => {
      set.delete(handler);
    };
  }

  /**
   * True while every channel is listened to. While false, commits may pass unnoticed: whatever
   * relies on hearing of every change (a cache) must not rely on it until `onReconnect`.
   */
  get listening(): boolean {
    return this.listened;
  }

  /** Runs `handler` after the connection was lost and made again (notifications may have been missed). */
  onReconnect(handler: () => void): () => void {
    this.reconnectHandlers.add(handler);
    return () => this.reconnectHandlers.delete(handler);
  }

  /**
   * `look()` until it finds something, looking again only when `channel` carries `payload` (or
   * the connection came back), for at most `timeoutMs`; undefined if it never did. The
   * subscription is made before the first look, so a commit between the two is not missed.
   */
  async waitFor<T>(channel: string, payload: string, look: () => Promise<T | undefined>, timeoutMs: number): Promise<T | undefined> {
    let wake: () => void = () => {};
    let woken = false;
    const signal = () => {
      woken = true;
      wake();
    };
    const offChannel = this.on(channel, (p) => p === payload && signal());
    const offReconnect = this.onReconnect(signal);
    const deadline = Date.now() + timeoutMs;
    try {
      for (;;) {
        woken = false;
        const found = await look();
        if (found !== undefined) return found;
        const left = deadline - Date.now();
        if (left <= 0) return undefined;
        if (!woken) {
          let timer: NodeJS.Timeout | undefined;
          await new Promise<void>((resolve) => {
            wake = resolve;
            timer = setTimeout(resolve, left);
          });
          clearTimeout(timer);
        }
      }
    } finally {
      offChannel();
      offReconnect();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('notification', ({ channel, payload }) => {
      for (const handler of this.handlers.get(channel) ?? []) handler(payload ?? '');
    });
    client.on('error', (err) => this.logger.warn({ err }, 'notification connection failed'));
    client.on('end', () => {
      if (this.client !== client) return; // a failed connect: its caller retries
      this.client = undefined;
      this.listened = false;
      if (!this.closed) this.reconnectSoon();
    });
    await client.connect();
    // Current before the LISTENs, so a channel added meanwhile is listened to by `on`.
    this.client = client;
    try {
      for (const channel of this.handlers.keys()) await client.query(`LISTEN ${channel}`);
      this.listened = true;
    } catch (err) {
      this.client = undefined;
      await client.end().catch(() => {});
      throw err;
    }
    this.retryMs = 100;
  }

  private reconnectSoon() {
    setTimeout(() => {
      if (this.closed) return;
      this.connect()
        .then(() => {
          for (const handler of this.reconnectHandlers) handler();
        })
        .catch((err: unknown) => {
          this.logger.warn({ err }, 'notification connection: reconnecting');
          this.retryMs = Math.min(this.retryMs * 2, MAX_RECONNECT_DELAY_MS);
          this.reconnectSoon();
        });
    }, this.retryMs).unref();
  }
}

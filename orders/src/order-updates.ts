import { AppError } from '@ticketing/common';
import type * as api from '@ticketing/contracts';
import type { OrdersService } from './config.js';
import { findOrderView } from './order-view.js';

/** Complete and cancelled are final: nothing changes an order after them. */
export const isFinal = (order: api.Order) => order.status === 'complete' || order.status === 'cancelled';

/**
 * One open stream of an order: the newest view of it not sent yet, and a way to wait for one.
 * Views are kept by version, so a read that finishes after a later one cannot send the order
 * back in time, and a change that leaves the view alone (a payment claim) sends nothing.
 */
export class OrderFollower {
  private sentVersion = -1;
  private newest: api.Order | undefined;
  private wake: (() => void) | undefined;
  private ended = false;

  constructor(
    readonly userId: string,
    private readonly forget: () => void,
  ) {}

  /** A view of the order as read after a change. */
  offer(view: api.Order) {
    if (view.userId !== this.userId || view.version <= (this.newest?.version ?? this.sentVersion)) return;
    this.newest = view;
    this.wake?.();
  }

  /** The view the stream starts with: anything not newer than it is old news. */
  startWith(view: api.Order) {
    this.sentVersion = view.version;
    if (this.newest && this.newest.version <= view.version) this.newest = undefined;
  }

  /** The next newer view once there is one; undefined once the stream is to end. */
  async next(): Promise<api.Order | undefined> {
    while (!this.ended && !this.newest) await new Promise<void>((resolve) => (this.wake = resolve));
    this.wake = undefined;
    const view = this.ended ? undefined : this.newest;
    this.newest = undefined;
    if (view) this.sentVersion = view.version;
    return view;
  }

  /** Ends the stream (the client left, its time is up, the service stops); once. */
  end() {
    if (this.ended) return;
    this.ended = true;
    this.forget();
    this.wake?.();
  }
}

/**
 * The order streams open in this process (GET /api/orders/:id/updates). One subscription to
 * `order_changed`, which a commit in any replica sends with the order's id, serves them all:
 * an order with open streams is read once per change and the view offered to each of them.
 * After the notification connection was lost, every followed order is read again, since its
 * changes meanwhile were not heard. At most `maxStreams` are open at once; all end when the
 * service stops, so they do not hold up its shutdown.
 */
export class OrderUpdates {
  private readonly followers = new Map<string, Set<OrderFollower>>();
  /** Orders being read, each with whether another change came in meanwhile (read again after). */
  private readonly reading = new Map<string, boolean>();
  private open = 0;
  private unsubscribe: (() => void) | undefined;
  private stopping = false;

  constructor(
    private readonly service: OrdersService,
    private readonly maxStreams: number,
  ) {
    // The HTTP server, once told to close, waits for every open connection, and a stream does
    // not end by itself: the streams end as soon as the service starts stopping.
    service.onStopping(() => this.stop());
  }

  /**
   * A stream of `userId`'s order `orderId` with its current view, or undefined when there is no
   * such order of theirs; 503 past the bound. It follows the order from before that first read,
   * so a change committed meanwhile is not missed.
   */
  async follow(orderId: string, userId: string): Promise<{ first: api.Order; follower: OrderFollower } | undefined> {
    if (this.stopping || this.open >= this.maxStreams) {
      throw new AppError(503, [{ message: 'Too many order streams are open; try again shortly' }], { 'Retry-After': '5' });
    }
    this.subscribe();
    const follower = new OrderFollower(userId, () => this.forget(orderId, follower));
    let set = this.followers.get(orderId);
    if (!set) this.followers.set(orderId, (set = new Set()));
    set.add(follower);
    this.open++;
    try {
      const first = await findOrderView(this.service.database.db, orderId);
      if (!first || first.userId !== userId) {
        follower.end();
        return undefined;
      }
      follower.startWith(first);
      return { first, follower };
    } catch (err) {
      follower.end();
      throw err;
    }
  }

  /** Ends every open stream and takes no more. */
  stop() {
    this.stopping = true;
    this.unsubscribe?.();
    for (const set of [...this.followers.values()]) for (const follower of set) follower.end();
  }

  /** On the first stream: from then on, for the life of the process. */
  private subscribe() {
    if (this.unsubscribe) return;
    const { notifications } = this.service;
    const offChanged = notifications.on('order_changed', (id) => {
      if (this.followers.has(id)) this.refresh(id);
    });
    const offReconnect = notifications.onReconnect(() => {
      for (const id of this.followers.keys()) this.refresh(id);
    });
    this.unsubscribe = () => {
      offChanged();
      offReconnect();
    };
  }

  /** Reads the order once for all its streams; a change heard during the read is read after it. */
  private refresh(orderId: string) {
    if (this.reading.has(orderId)) {
      this.reading.set(orderId, true);
      return;
    }
    this.reading.set(orderId, false);
    void (async () => {
      try {
        do {
          this.reading.set(orderId, false);
          const view = await findOrderView(this.service.database.db, orderId);
          if (view) for (const follower of this.followers.get(orderId) ?? []) follower.offer(view);
        } while (this.reading.get(orderId) && this.followers.has(orderId));
      } catch (err) {
        // The stream shows this change at its next one, or when it reconnects (its life is bounded).
        this.service.logger.warn({ err, orderId }, 'order stream: could not read the order');
      } finally {
        this.reading.delete(orderId);
      }
    })();
  }

  private forget(orderId: string, follower: OrderFollower) {
    const set = this.followers.get(orderId);
    if (!set?.delete(follower)) return;
    this.open--;
    if (set.size === 0) this.followers.delete(orderId);
  }
}

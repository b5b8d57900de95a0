import { createHash } from 'node:crypto';
import type { DatabaseNotifications } from '@ticketing/common';
import type { Response } from 'express';

/** A GET answer as sent: the JSON bytes, their strong ETag and the headers that go with them. */
export interface Page {
  body: Buffer;
  etag: string;
  headers: Record<string, string>;
}

/** Pages deep in the cursor are many and rarely asked twice: only the most recent are kept. */
const MAX_PAGES = 256;

/**
 * The tickets' GET answers, kept in memory until any ticket changes. Any commit to `tickets`, by
 * any replica, notifies `tickets_changed` (a trigger), which empties the cache of every replica;
 * this replica's own HTTP writes empty it at once after their commit (`clear`), so the writer's
 * next read sees its write. While the notifications connection is down a change could pass
 * unheard, so the cache is neither read nor filled until it is back, and emptied then.
 */
export class PageCache {
  private readonly pages = new Map<string, Page>();
  /** Reads under way, shared by requests for the same page until it changes. */
  private readonly reading = new Map<string, Promise<Page>>();
  /** Bumped by every change: a page read before a change is not kept after it. */
  private generation = 0;

  constructor(
    private readonly notifications: DatabaseNotifications,
    private readonly maxPages = MAX_PAGES,
  ) {}

  /** Listens for changes until the returned function is called. */
  listen(): () => void {
    const offChange = this.notifications.on('tickets_changed', () => this.clear());
    const offReconnect = this.notifications.onReconnect(() => this.clear());
    return () => {
      offChange();
      offReconnect();
    };
  }

  clear() {
    this.generation++;
    this.pages.clear();
    this.reading.clear();
  }

  /** The page under `key`: kept, or `read` now (and kept unless a change came meanwhile). */
  page(key: string, read: () => Promise<{ body: unknown; headers?: Record<string, string> }>): Promise<Page> {
    if (!this.notifications.listening) return read().then(toPage);
    const kept = this.pages.get(key);
    if (kept) {
      this.pages.delete(key); // most recently used last
      this.pages.set(key, kept);
      return Promise.resolve(kept);
    }
    const under = this.reading.get(key);
    if (under) return under;
    const generation = this.generation;
    const reading = read()
      .then(toPage)
      .finally(() => {
        if (this.reading.get(key) === reading) this.reading.delete(key);
      });
    this.reading.set(key, reading);
    void reading.then(
      (page) => generation === this.generation && this.notifications.listening && this.keep(key, page),
      () => {},
    );
    return reading;
  }

  private keep(key: string, page: Page) {
    this.pages.set(key, page);
    if (this.pages.size > this.maxPages) this.pages.delete(this.pages.keys().next().value!);
  }
}

function toPage({ body, headers = {} }: { body: unknown; headers?: Record<string, string> }): Page {
  const bytes = Buffer.from(JSON.stringify(body));
  const hash = createHash('sha1').update(bytes);
  for (const [name, value] of Object.entries(headers)) hash.update(`\n${name}: ${value}`);
  return { body: bytes, etag: `"${hash.digest('base64url')}"`, headers };
}

/**
 * Sends a page with its strong ETag. `no-cache` makes a browser ask again every time, so a sold
 * ticket is never shown for sale from its cache; with a matching If-None-Match the answer is a
 * 304 without the body (Express's freshness check).
 */
export function sendPage(res: Response, page: Page) {
  res.set(page.headers).set({ ETag: page.etag, 'Cache-Control': 'no-cache' }).type('json').send(page.body);
}

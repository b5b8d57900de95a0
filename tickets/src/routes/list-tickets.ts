import { parseOrThrow, type ServiceContext } from '@ticketing/common';
import { and, desc, isNull, lt, sql } from 'drizzle-orm';
import type { RequestHandler } from 'express';
import { z } from 'zod';
import { tickets } from '../db/schema.js';
import { sendPage, type PageCache } from '../page-cache.js';
import { ticketView } from '../ticket-view.js';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 200;

/** The cursor is the `seq` of the last ticket shown, opaque to clients. */
const encodeCursor = (seq: number) => Buffer.from(`s${seq}`).toString('base64url');
const decodeCursor = (cursor: string) => {
  const m = /^s([1-9][0-9]{0,15})$/.exec(Buffer.from(cursor, 'base64url').toString());
  return m ? Number(m[1]) : undefined;
};

const listQuery = z.object({
  limit: z
    .string({ error: 'Limit must be a whole number' })
    .regex(/^[0-9]{1,4}$/, 'Limit must be a whole number')
    .transform(Number)
    .pipe(z.number().min(1, 'Limit must be at least 1').max(MAX_LIMIT, `Limit must be at most ${MAX_LIMIT}`))
    .optional(),
  cursor: z
    .string({ error: 'Invalid cursor' })
    .transform((c, ctx) => decodeCursor(c) ?? (ctx.addIssue({ code: 'custom', message: 'Invalid cursor' }), z.NEVER))
    .optional(),
});

/**
 * GET /api/tickets: tickets for sale (not reserved), newest first, with a `Link` to the next page.
 * Pages are served from `pages` until a ticket changes.
 */
export function listTicketsRoute(service: ServiceContext, pages: PageCache): RequestHandler {
  // Prepared once: the hottest read skips building its SQL, and PostgreSQL parsing and
  // planning it, on every request.
  const page = (name: string, afterCursor: boolean) =>
    service.database.db
      .select()
      .from(tickets)
      .where(and(isNull(tickets.orderId), afterCursor ? lt(tickets.seq, sql.placeholder('cursor')) : undefined))
      .orderBy(desc(tickets.seq))
      .limit(sql.placeholder('limit'))
      .prepare(name);
  const firstPage = page('tickets_first_page', false);
  const nextPage = page('tickets_next_page', true);

  const read = async (limit: number, cursor: number | undefined) => {
    const rows = cursor
      ? await nextPage.execute({ cursor, limit: limit + 1 })
      : await firstPage.execute({ limit: limit + 1 });
    const page = rows.slice(0, limit);
    if (rows.length <= limit) return { body: page.map(ticketView) };
    const next = `/api/tickets?limit=${limit}&cursor=${encodeCursor(page[page.length - 1]!.seq)}`;
    return { body: page.map(ticketView), headers: { Link: `<${next}>; rel="next"` } };
  };

  return async (req, res) => {
    const { limit = DEFAULT_LIMIT, cursor } = parseOrThrow(listQuery, req.query);
    sendPage(res, await pages.page(`list:${limit}:${cursor ?? ''}`, () => read(limit, cursor)));
  };
}

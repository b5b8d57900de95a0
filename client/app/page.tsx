import Link from 'next/link';
import { outageNotice } from '@/components/outage-notice';
import { TicketList } from '@/components/ticket-list';
import { type SearchParams, first } from '@/lib/params';
import { getCurrentUser, listTickets } from '@/lib/server-api';

/** Tickets for sale, newest first, a page at a time (the API's Link header gives the next cursor). */
export default async function HomePage({ searchParams }: { searchParams: SearchParams }) {
  const outage = await outageNotice();
  if (outage) return outage;
  const query = await searchParams;
  const limit = first(query.limit);
  const cursor = first(query.cursor);
  const [user, page] = await Promise.all([getCurrentUser(), listTickets({ limit, cursor })]);

  const nextHref = page.ok && page.data.next ? hrefFor({ limit, cursor: page.data.next.cursor }) : null;
  const firstHref = hrefFor({ limit });

  return (
    <>
      <div className="page-heading">
        <h1>Tickets for sale</h1>
        {user && (
          <Link href="/tickets/new" className="button button-primary">
            Sell a ticket
          </Link>
        )}
      </div>

      {!page.ok ? (
        <div className="notice notice-error">
          <p role="alert">{page.errors.map((e) => e.message).join(' ')}</p>
          <p>
            <Link href="/">Back to the first page</Link>
          </p>
        </div>
      ) : page.data.tickets.length === 0 ? (
        <div className="empty">
          <p>{cursor ? 'No more tickets.' : 'No tickets for sale right now.'}</p>
          {user ? (
            <Link href="/tickets/new">Sell the first one</Link>
          ) : (
            <p>
              Have tickets to sell? <Link href="/auth/signup">Create an account</Link>.
            </p>
          )}
        </div>
      ) : (
        <TicketList tickets={page.data.tickets} label="Tickets for sale" />
      )}

      {(nextHref || cursor) && (
        <nav className="pager" aria-label="Pages">
          {cursor && (
            <Link href={firstHref} className="button button-ghost">
              First page
            </Link>
          )}
          {nextHref && (
            <Link href={nextHref} className="button button-ghost" rel="next">
              Next page
            </Link>
          )}
        </nav>
      )}
    </>
  );
}

function hrefFor({ limit, cursor }: { limit?: string | undefined; cursor?: string | undefined }) {
  const params = new URLSearchParams();
  if (limit) params.set('limit', limit);
  if (cursor) params.set('cursor', cursor);
  return params.size > 0 ? `/?${params}` : '/';
}

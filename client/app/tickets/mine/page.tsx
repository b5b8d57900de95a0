import type { Metadata } from 'next';
import Link from 'next/link';
import { outageNotice } from '@/components/outage-notice';
import { TicketList } from '@/components/ticket-list';
import { requireUser } from '@/lib/guards';
import { listMyAvailableTickets } from '@/lib/server-api';

export const metadata: Metadata = { title: 'My tickets' };

/**
 * The user's listings that are for sale. The API has no "my tickets" endpoint, so these come
 * from the public list filtered by seller; tickets reserved or bought by a buyer are not in it.
 */
export default async function MyTicketsPage() {
  const outage = await outageNotice();
  if (outage) return outage;
  const user = await requireUser('/tickets/mine');
  const { tickets, truncated } = await listMyAvailableTickets(user.id);
  return (
    <>
      <div className="page-heading">
        <h1>My tickets</h1>
        <Link href="/tickets/new" className="button button-primary">
          Sell a ticket
        </Link>
      </div>
      <p className="muted lead">
        Your listings that are for sale now. A ticket someone has reserved or bought is not listed here; a reserved
        one appears again if the reservation is cancelled or expires.
      </p>
      {tickets.length === 0 ? (
        <div className="empty">
          <p>You have no tickets for sale.</p>
        </div>
      ) : (
        <TicketList tickets={tickets} label="My tickets for sale" />
      )}
      {truncated && <p className="muted">Only the newest 1,000 tickets for sale were searched.</p>}
    </>
  );
}

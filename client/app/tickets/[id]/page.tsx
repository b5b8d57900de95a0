import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { missingService, OUTAGE_TITLE, outageNotice } from '@/components/outage-notice';
import { PageRefresher } from '@/components/page-refresher';
import { PurchaseButton } from '@/components/purchase-button';
import { formatPrice, ticketStatusLabel } from '@/lib/format';
import type { IdParams } from '@/lib/params';
import { getCurrentUser, getTicket } from '@/lib/server-api';

export async function generateMetadata({ params }: { params: IdParams }): Promise<Metadata> {
  if (await missingService()) return { title: OUTAGE_TITLE };
  const ticket = await getTicket((await params).id);
  return { title: ticket?.title ?? 'Ticket not found' };
}

export default async function TicketPage({ params }: { params: IdParams }) {
  const outage = await outageNotice();
  if (outage) return outage;
  const { id } = await params;
  const [ticket, user] = await Promise.all([getTicket(id), getCurrentUser()]);
  if (!ticket) notFound();

  const isSeller = user?.id === ticket.userId;

  return (
    <div className="narrow">
      <article className="card ticket-detail" aria-labelledby="ticket-heading">
        <p className="eyebrow">Ticket</p>
        <h1 id="ticket-heading">{ticket.title}</h1>
        <dl className="facts">
          <div>
            <dt>Price</dt>
            <dd className="price">{formatPrice(ticket.price)}</dd>
          </div>
          <div>
            <dt>Status</dt>
            <dd>
              <span className={`badge badge-${ticket.status}`}>{ticketStatusLabel(ticket.status)}</span>
            </dd>
          </div>
        </dl>

        <div className="ticket-actions">
          {ticket.status === 'sold' ? (
            <p className="notice notice-neutral">This ticket has been sold</p>
          ) : ticket.status === 'reserved' ? (
            <>
              <p className="notice notice-warning">This ticket is reserved</p>
              {/* Freed when its order is cancelled or expires, sold when it is paid: followed until then. */}
              <PageRefresher />
            </>
          ) : isSeller ? (
            <>
              <p className="muted">You are selling this ticket.</p>
              <Link href={`/tickets/${ticket.id}/edit`} className="button button-secondary">
                Edit
              </Link>
            </>
          ) : user ? (
            <PurchaseButton ticketId={ticket.id} />
          ) : (
            <Link href={`/auth/signin?next=${encodeURIComponent(`/tickets/${ticket.id}`)}`} className="button button-primary button-lg">
              Sign in to buy
            </Link>
          )}
        </div>
      </article>
      <p className="back-link">
        <Link href="/">Back to all tickets</Link>
      </p>
    </div>
  );
}

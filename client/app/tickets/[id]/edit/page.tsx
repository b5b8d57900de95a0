import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { outageNotice } from '@/components/outage-notice';
import { TicketForm } from '@/components/ticket-form';
import { requireUser } from '@/lib/guards';
import type { IdParams } from '@/lib/params';
import { getTicket } from '@/lib/server-api';

export const metadata: Metadata = { title: 'Edit ticket' };

export default async function EditTicketPage({ params }: { params: IdParams }) {
  const outage = await outageNotice();
  if (outage) return outage;
  const { id } = await params;
  const user = await requireUser(`/tickets/${id}/edit`);
  const ticket = await getTicket(id);
  if (!ticket) notFound();

  if (ticket.userId !== user.id || ticket.status !== 'available') {
    return (
      <div className="narrow">
        <div className="card">
          <h1>Edit ticket</h1>
          <p className="notice notice-warning" role="alert">
            {ticket.userId !== user.id
              ? 'Only the seller can edit this ticket.'
              : ticket.status === 'sold'
                ? 'This ticket has been sold, so it cannot be edited.'
                : 'This ticket is reserved, so it cannot be edited.'}
          </p>
          <p>
            <Link href={`/tickets/${ticket.id}`}>Back to the ticket</Link>
          </p>
        </div>
      </div>
    );
  }
  return (
    <div className="narrow">
      <TicketForm ticket={ticket} />
    </div>
  );
}

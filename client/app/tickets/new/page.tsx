import type { Metadata } from 'next';
import { TicketForm } from '@/components/ticket-form';
import { requireUser } from '@/lib/guards';

export const metadata: Metadata = { title: 'Sell a ticket' };

export default async function NewTicketPage() {
  await requireUser('/tickets/new');
  return (
    <div className="narrow">
      <TicketForm />
    </div>
  );
}

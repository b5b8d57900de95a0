import Link from 'next/link';
import type { Ticket } from '@ticketing/contracts';
import { formatPrice } from '@/lib/format';

/** Tickets as cards: title (a link to the details page) and price. */
export function TicketList({ tickets, label }: { tickets: Ticket[]; label: string }) {
  return (
    <ul className="ticket-grid" aria-label={label}>
      {tickets.map((ticket) => (
        <li key={ticket.id} className="ticket-card">
          <h2 className="ticket-title">
            <Link href={`/tickets/${ticket.id}`} className="stretched-link">
              {ticket.title}
            </Link>
          </h2>
          <p className="ticket-price">{formatPrice(ticket.price)}</p>
        </li>
      ))}
    </ul>
  );
}

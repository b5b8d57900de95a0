import type { Metadata } from 'next';
import Link from 'next/link';
import { outageNotice } from '@/components/outage-notice';
import { formatPrice, orderStatusLabel } from '@/lib/format';
import { requireUser } from '@/lib/guards';
import { listOrders } from '@/lib/server-api';

export const metadata: Metadata = { title: 'My orders' };

export default async function OrdersPage() {
  const outage = await outageNotice();
  if (outage) return outage;
  await requireUser('/orders');
  const orders = (await listOrders()) ?? [];
  return (
    <>
      <div className="page-heading">
        <h1>My orders</h1>
      </div>
      {orders.length === 0 ? (
        <div className="empty">
          <p>You have no orders yet.</p>
          <Link href="/">Browse tickets</Link>
        </div>
      ) : (
        <ul className="order-list" aria-label="My orders">
          {orders.map((order) => (
            <li key={order.id} className="order-row">
              <Link href={`/orders/${order.id}`} className="order-title stretched-link">
                {order.ticket.title}
              </Link>
              <span className="order-price">{formatPrice(order.ticket.price)}</span>
              <span className={`badge badge-${order.status.replace(':', '-')}`}>{orderStatusLabel(order.status)}</span>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

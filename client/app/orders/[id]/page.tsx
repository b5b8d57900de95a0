import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { outageNotice } from '@/components/outage-notice';
import { OrderView } from '@/components/order-view';
import { requireUser } from '@/lib/guards';
import type { IdParams } from '@/lib/params';
import { getOrder, stripePublishableKey } from '@/lib/server-api';

export const metadata: Metadata = { title: 'Order' };

export default async function OrderPage({ params }: { params: IdParams }) {
  const outage = await outageNotice();
  if (outage) return outage;
  const { id } = await params;
  await requireUser(`/orders/${id}`);
  const order = await getOrder(id);
  if (!order) notFound();
  return (
    <div className="narrow">
      {/* key: a different order (or a fresh server read) starts a fresh view. */}
      <OrderView key={`${order.id}:${order.version}:${order.status}`} initialOrder={order} serverNow={Date.now()} stripeKey={stripePublishableKey()} />
      <p className="back-link">
        <Link href="/orders">Back to my orders</Link>
      </p>
    </div>
  );
}

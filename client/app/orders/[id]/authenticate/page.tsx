import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { outageNotice } from '@/components/outage-notice';
import { SandboxChallenge } from '@/components/sandbox-challenge';
import { requireUser } from '@/lib/guards';
import type { IdParams } from '@/lib/params';
import { getOrder } from '@/lib/server-api';

export const metadata: Metadata = { title: 'Confirm your payment' };

/**
 * The sandbox's stand-in for a bank's 3-D Secure step: the sandbox form sends the buyer here
 * when its test payment method asks for authentication. (With Stripe, Stripe.js shows the
 * bank's own step in a dialog on the order page instead.)
 */
export default async function AuthenticatePage({ params }: { params: IdParams }) {
  const outage = await outageNotice();
  if (outage) return outage;
  const { id } = await params;
  await requireUser(`/orders/${id}/authenticate`);
  const order = await getOrder(id);
  if (!order) notFound();
  return (
    <div className="narrow">
      <SandboxChallenge orderId={order.id} title={order.ticket.title} />
      <p className="back-link">
        <Link href={`/orders/${order.id}`}>Back to the order</Link>
      </p>
    </div>
  );
}

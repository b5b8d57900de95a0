import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { AuthForm } from '@/components/auth-form';
import { type SearchParams, first } from '@/lib/params';
import { safeNext } from '@/lib/format';
import { getCurrentUser } from '@/lib/server-api';

export const metadata: Metadata = { title: 'Sign up' };

export default async function SignupPage({ searchParams }: { searchParams: SearchParams }) {
  const next = first((await searchParams).next);
  if (await getCurrentUser()) redirect(safeNext(next));
  return (
    <div className="narrow">
      <AuthForm mode="signup" next={next} />
    </div>
  );
}

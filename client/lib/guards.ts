import 'server-only';
import { redirect } from 'next/navigation';
import type { User } from '@ticketing/contracts';
import { getCurrentUser } from './server-api';

/** The signed-in user; a visitor is sent to sign in and brought back to `path` afterwards. */
export async function requireUser(path: string): Promise<User> {
  const user = await getCurrentUser();
  if (!user) redirect(`/auth/signin?next=${encodeURIComponent(path)}`);
  return user;
}

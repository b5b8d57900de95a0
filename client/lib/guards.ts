import 'server-only';
import { redirect } from 'next/navigation';
import { getCurrentUser } from './server-api';
import type { User } from './types';

/** The signed-in user; a visitor is sent to sign in and brought back to `path` afterwards. */
export async function requireUser(path: string): Promise<User> {
  const user = await getCurrentUser();
  if (!user) redirect(`/auth/signin?next=${encodeURIComponent(path)}`);
  return user;
}

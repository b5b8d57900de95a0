import type { User } from '@ticketing/contracts';

/** A user as the API and the session JWT show it: never the password hash. */
export function userView(u: { id: string; email: string }): User {
  return { id: u.id, email: u.email };
}

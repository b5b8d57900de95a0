import type { CurrentUser } from '@ticketing/common';

/** A user as the API and the session JWT show it: never the password hash. */
export function userView(u: { id: string; email: string }): CurrentUser {
  return { id: u.id, email: u.email };
}

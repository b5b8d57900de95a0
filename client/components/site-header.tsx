import Link from 'next/link';
import type { User } from '@ticketing/contracts';
import { explorerEnabled } from '@/lib/explorer-config';
import { getCurrentUser } from '@/lib/server-api';
import { NavLink } from './nav-link';
import { SignOutButton } from './sign-out-button';

/** The header on every page: what a signed-in user can do, or how to sign in. */
export async function SiteHeader() {
  let user: User | null = null;
  try {
    user = await getCurrentUser();
  } catch {
    // The auth service is unreachable: the header shows the signed-out state; pages report the error.
  }
  return (
    <header className="site-header">
      <div className="container site-header-inner">
        <Link href="/" className="brand">
          <svg className="brand-mark" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
            <rect width="32" height="32" rx="7" fill="#f4b43a" />
            <path d="M7 10h18v4a2 2 0 0 0 0 4v4H7v-4a2 2 0 0 0 0-4z" fill="#2e2a78" />
            <path d="M19 11v10" stroke="#f4b43a" strokeWidth="1.5" strokeDasharray="2 2" />
          </svg>
          Ticketing
        </Link>
        <nav aria-label="Main" className="nav">
          {user ? (
            <>
              <NavLink href="/tickets/new" className="nav-link nav-cta">
                Sell tickets
              </NavLink>
              <NavLink href="/orders">My orders</NavLink>
              <NavLink href="/tickets/mine">My tickets</NavLink>
            </>
          ) : (
            <>
              <NavLink href="/auth/signup" className="nav-link nav-cta">
                Sign up
              </NavLink>
              <NavLink href="/auth/signin">Sign in</NavLink>
            </>
          )}
          {explorerEnabled() && <NavLink href="/events">Events</NavLink>}
        </nav>
        {user && (
          <>
            <p className="whoami">
              <span className="visually-hidden">Signed in as </span>
              <span className="whoami-email" data-testid="current-user-email">
                {user.email}
              </span>
            </p>
            <div className="account">
              <SignOutButton />
              <SignOutButton everywhere />
            </div>
          </>
        )}
      </div>
    </header>
  );
}

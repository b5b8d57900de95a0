'use client';

import { useState } from 'react';
import { api } from '@/lib/browser-api';

/**
 * POSTs /api/users/signout (this session), or /api/users/signout-everywhere (every session of
 * the user, on every device), then reloads the home page as a signed-out visitor.
 */
export function SignOutButton({ everywhere = false }: { everywhere?: boolean }) {
  const [pending, setPending] = useState(false);
  async function signOut() {
    setPending(true);
    await api('POST', everywhere ? '/api/users/signout-everywhere' : '/api/users/signout');
    window.location.assign('/');
  }
  return (
    <button type="button" className="nav-link nav-button" onClick={signOut} disabled={pending} aria-busy={pending || undefined}>
      {everywhere ? 'Sign out everywhere' : 'Sign out'}
    </button>
  );
}

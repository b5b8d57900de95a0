'use client';

import { useState } from 'react';
import { api } from '@/lib/browser-api';

/** POSTs /api/users/signout, then reloads the home page as a signed-out visitor. */
export function SignOutButton() {
  const [pending, setPending] = useState(false);
  async function signOut() {
    setPending(true);
    await api('POST', '/api/users/signout');
    window.location.assign('/');
  }
  return (
    <button type="button" className="nav-link nav-button" onClick={signOut} disabled={pending} aria-busy={pending || undefined}>
      Sign out
    </button>
  );
}

'use client';

import { useEffect } from 'react';
import { api } from '@/lib/browser-api';

/** Visiting /auth/signout signs out (POST /api/users/signout) and goes home. */
export default function SignoutPage() {
  useEffect(() => {
    let cancelled = false;
    void api('POST', '/api/users/signout').then(() => {
      if (!cancelled) window.location.replace('/');
    });
    return () => {
      cancelled = true;
    };
  }, []);
  return (
    <p className="muted" role="status">
      Signing you out…
    </p>
  );
}

'use client';

import { useRouter } from 'next/navigation';
import { useEffect } from 'react';

/**
 * Renders the page again from the server now and then while it is shown (router.refresh():
 * the server components re-read their data, the browser's state stays). Placed on a page only
 * while what it shows will change without the viewer doing anything, such as a reserved
 * ticket, which the tickets service frees when it hears the order was cancelled: once the page
 * no longer renders it, it stops. The first refresh comes after `firstMs`, each next one a
 * half later again, up to `maxMs`; none while the page is hidden, one at once when it is shown.
 */
export function PageRefresher({ firstMs = 1000, maxMs = 10_000 }: { firstMs?: number; maxMs?: number }) {
  const router = useRouter();

  useEffect(() => {
    let delay = firstMs;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const schedule = () => {
      clearTimeout(timer);
      timer = document.hidden ? undefined : setTimeout(refresh, delay);
    };
    const refresh = () => {
      router.refresh();
      delay = Math.min(maxMs, delay * 1.5);
      schedule();
    };
    const onVisibility = () => {
      if (document.hidden) return schedule();
      delay = firstMs;
      refresh();
    };
    schedule();
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [router, firstMs, maxMs]);

  return null;
}

'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import type { ReactNode } from 'react';

/** A header link that marks the current page with aria-current. */
export function NavLink({ href, children, className = 'nav-link' }: { href: string; children: ReactNode; className?: string }) {
  const pathname = usePathname();
  const current = pathname === href;
  return (
    <Link href={href} className={className} aria-current={current ? 'page' : undefined}>
      {children}
    </Link>
  );
}

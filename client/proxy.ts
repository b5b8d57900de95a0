import { NextResponse, type NextRequest } from 'next/server';
import { contentSecurityPolicy, newNonce, referrerPolicy } from '@/lib/page-security';
import { knownDown, PAGE_HEADER, RETRY_MS, serviceOfPage, UNAVAILABLE_HEADER } from '@/lib/service-outages';

/**
 * Every page's Content-Security-Policy and Referrer-Policy (lib/page-security.ts). The policy
 * also goes on the request: Next reads the nonce from it and puts it on its own scripts.
 *
 * A page that cannot be shown while a service is down (lib/service-outages.ts) is answered 503,
 * told which service to do without (it then shows components/outage-notice.tsx instead of
 * itself), and so does not try the service again yet.
 */
export function proxy(request: NextRequest) {
  const { pathname, searchParams } = request.nextUrl;
  const policy = contentSecurityPolicy({ pathname, nonce: newNonce(), dev: process.env.NODE_ENV === 'development' });
  const headers = new Headers(request.headers);
  headers.set('content-security-policy', policy);
  // Ours only: never what the browser sent.
  headers.delete(UNAVAILABLE_HEADER);
  const query = new URLSearchParams(searchParams);
  query.delete('_rsc'); // the router's cache key on its own requests, not part of the address
  headers.set(PAGE_HEADER, `${pathname}${query.size > 0 ? `?${query}` : ''}`);

  const service = serviceOfPage(pathname);
  const down = service !== undefined && knownDown(service);
  if (down) headers.set(UNAVAILABLE_HEADER, service);
  const response = NextResponse.next({ request: { headers }, ...(down ? { status: 503 } : {}) });
  if (down) response.headers.set('retry-after', String(RETRY_MS / 1000));
  response.headers.set('content-security-policy', policy);
  response.headers.set('referrer-policy', referrerPolicy(pathname));
  return response;
}

export const config = {
  // Pages only: static files, images and the API routes are not documents.
  matcher: [
    {
      source: '/((?!api/|_next/static|_next/image|icon.svg).*)',
      missing: [
        { type: 'header', key: 'next-router-prefetch' },
        { type: 'header', key: 'purpose', value: 'prefetch' },
      ],
    },
  ],
};

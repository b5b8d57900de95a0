import { NextResponse, type NextRequest } from 'next/server';
import { contentSecurityPolicy, newNonce, referrerPolicy } from '@/lib/page-security';

/**
 * Every page's Content-Security-Policy and Referrer-Policy (lib/page-security.ts). The policy
 * also goes on the request: Next reads the nonce from it and puts it on its own scripts.
 */
export function proxy(request: NextRequest) {
  const { pathname } = request.nextUrl;
  const policy = contentSecurityPolicy({ pathname, nonce: newNonce(), dev: process.env.NODE_ENV === 'development' });
  const headers = new Headers(request.headers);
  headers.set('content-security-policy', policy);
  const response = NextResponse.next({ request: { headers } });
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
